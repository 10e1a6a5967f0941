/* till-token-store.h: where the terminal token lives — the keyring, or a private file when
 * there is no usable keyring (a kiosk's auto-login session), never GSettings.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An interface so that the app uses libsecret and tests without a keyring can use memory.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TILL_TYPE_TOKEN_STORE (till_token_store_get_type ())
G_DECLARE_INTERFACE (TillTokenStore, till_token_store, TILL, TOKEN_STORE, GObject)

struct _TillTokenStoreInterface
{
  GTypeInterface parent_iface;

  void (*lookup_async) (TillTokenStore     *self,
                        const char         *server_url,
                        GCancellable       *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer            user_data);
  char *(*lookup_finish) (TillTokenStore *self, GAsyncResult *result, GError **error);
  void (*store_async) (TillTokenStore     *self,
                       const char         *server_url,
                       const char         *token,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data);
  gboolean (*store_finish) (TillTokenStore *self, GAsyncResult *result, GError **error);
};

/* Finishes with NULL and no error when there is no token for @server_url. */
void  till_token_store_lookup_async (TillTokenStore     *self,
                                     const char         *server_url,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
char *till_token_store_lookup_finish (TillTokenStore *self, GAsyncResult *result, GError **error);
void  till_token_store_store_async (TillTokenStore     *self,
                                    const char         *server_url,
                                    const char         *token,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);
gboolean till_token_store_store_finish (TillTokenStore *self, GAsyncResult *result, GError **error);

/* The keyring, through libsecret (schema io.github.tillpos.Till.Token, attribute "server"),
 * preferred whenever it is usable. Without a Secret Service on the session bus the token is
 * kept in a file only the user can read (till_secret_token_store_get_file(): mode 0600, in
 * a 0700 directory, written atomically), and looked up there when the keyring has none. */
#define TILL_TYPE_SECRET_TOKEN_STORE (till_secret_token_store_get_type ())
G_DECLARE_FINAL_TYPE (
    TillSecretTokenStore, till_secret_token_store, TILL, SECRET_TOKEN_STORE, GObject)
TillTokenStore *till_secret_token_store_new (void);
/* TRUE (the default): the keyring may ask to be unlocked or made. FALSE (kiosks): never a
 * prompt; a missing or locked default keyring means the file. */
void till_secret_token_store_set_prompt (TillSecretTokenStore *self, gboolean prompt);
/* $XDG_CONFIG_HOME/till/terminal-token */
const char *till_secret_token_store_get_file (TillSecretTokenStore *self);

/* Process memory only: tests, and kiosks started with a token from the environment. */
#define TILL_TYPE_MEMORY_TOKEN_STORE (till_memory_token_store_get_type ())
G_DECLARE_FINAL_TYPE (
    TillMemoryTokenStore, till_memory_token_store, TILL, MEMORY_TOKEN_STORE, GObject)
TillTokenStore *till_memory_token_store_new (void);

G_END_DECLS
