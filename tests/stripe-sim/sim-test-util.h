/* sim-test-util.h: an HTTP client and a webhook receiver for the simulator's tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything goes over real HTTP on loopback: the simulator listens on an ephemeral port in
 * this thread's main context, the client is an async SoupSession, and waiting means iterating
 * the main context until the answer arrives or a deadline passes.
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "till-stripe-sim.h"
#include "till-test-util.h"

G_BEGIN_DECLS

#define SIM_TEST_KEY "sk_test_till_simulator_tests"
#define SIM_TEST_DEADLINE_MS 10000

typedef struct
{
  guint               status;
  GError             *error;
  GBytes             *body;
  JsonNode           *json;
  SoupMessageHeaders *headers;
  gint64              elapsed_us;
} SimResponse;

void sim_response_free (SimResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimResponse, sim_response_free)

/* Starts one request; sim_call_wait() waits for it. @headers: NULL-terminated name, value. */
typedef struct _SimCall SimCall;
SimCall                *sim_call_start (SoupSession       *session,
                                        const char        *method,
                                        const char        *uri,
                                        const char        *key,
                                        const char        *form,
                                        const char *const *headers);
SimResponse            *sim_call_wait (SimCall *call);

SimResponse *sim_request (SoupSession *session,
                          const char  *method,
                          const char  *uri,
                          const char  *key,
                          const char  *form,
                          ...) G_GNUC_NULL_TERMINATED;

SimResponse *sim_request_no_redirect (SoupSession *session,
                                      const char  *method,
                                      const char  *uri,
                                      const char  *form);

/* JSON helpers: "error.code", "data.0.type" */
JsonNode   *sim_json_path (JsonNode *root, const char *path);
const char *sim_json_string (JsonNode *root, const char *path);
gint64      sim_json_int (JsonNode *root, const char *path);
gboolean    sim_json_bool (JsonNode *root, const char *path);
gboolean    sim_json_is_null (JsonNode *root, const char *path);

/* A webhook endpoint: a SoupServer on an ephemeral port recording every delivery. */
typedef struct
{
  SoupServer *server;
  char       *url;
  GPtrArray  *bodies;     /* GBytes, as received */
  GPtrArray  *signatures; /* char * */
  GArray     *times;      /* gint64 monotonic µs of each attempt */
  guint       fail_first; /* answer 500 to this many deliveries */
  guint       attempts;
} SimReceiver;

SimReceiver *sim_receiver_new (void);
void         sim_receiver_free (SimReceiver *receiver);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimReceiver, sim_receiver_free)

G_END_DECLS
