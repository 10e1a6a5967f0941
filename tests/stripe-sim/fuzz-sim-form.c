/* fuzz-sim-form.c: libFuzzer target for the simulator's request parsing and endpoints.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is a form body. Whatever it is, decoding, bracket nesting, validation against
 * the OpenAPI subset and the create/confirm/update endpoints (Terminal's too) must not crash,
 * and every answer must be JSON with an HTTP status Stripe uses.
 */
#include "config.h"

#include "till-stripe-sim-form-private.h"
#include "till-stripe-sim-schema-private.h"
#include "till-stripe-sim-render-private.h"
#include "till-stripe-sim-terminal-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check_reply (TillSimReply *reply)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_nonnull (reply);
  g_assert_true (reply->status == 200 || reply->status == 400 || reply->status == 402 ||
                 reply->status == 404);
  g_assert_true (json_parser_load_from_data (parser, reply->body, -1, NULL));
}

/* Takes @result. */
static TillSimReply *
rendered (TillSimState *state, TillSimResult *result)
{
  g_autoptr (TillSimResult) owned = result;

  g_assert_nonnull (result);
  return till_sim_render_result (state, result);
}

/* Terminal's endpoint @operation (5 to 8 of the list below) with @params: a display on an
 * idle reader, a card presented to one waiting for a card_present intent. */
static TillSimReply *
run_terminal (TillSimState *state, TillSimRequest *request, guint operation, JsonNode *params)
{
  TillSimTerminal *terminal = till_sim_terminal_new (state);
  TillSimReply    *reply = NULL;

  if (operation == 5)
    reply = rendered (state, till_sim_terminal_create_location (terminal, request, params));
  else if (operation == 6)
    reply = rendered (state, till_sim_terminal_create_reader (terminal, request, params));
  else
    {
      g_autoptr (JsonNode) code =
          json_from_string ("{\"registration_code\": \"simulated-wpe\"}", NULL);
      g_autoptr (JsonNode) intent =
          json_from_string ("{\"amount\": \"1250\", \"currency\": \"usd\", "
                            "\"payment_method_types\": [\"card_present\"]}",
                            NULL);
      g_autoptr (TillSimReply) made = NULL;
      g_autoptr (TillSimReply) intent_made = NULL;
      g_autoptr (TillSimReply) processing = NULL;
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_autoptr (JsonParser) intent_parser = json_parser_new ();
      g_autofree char *process_text = NULL;
      g_autoptr (JsonNode) process = NULL;
      const char *reader;

      made = rendered (state, till_sim_terminal_create_reader (terminal, request, code));
      g_assert_true (json_parser_load_from_data (parser, made->body, -1, NULL));
      reader = json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)),
                                              "id");
      intent_made = rendered (state, till_sim_state_create_intent (state, request, intent));
      g_assert_true (json_parser_load_from_data (intent_parser, intent_made->body, -1, NULL));
      process_text =
          g_strdup_printf ("{\"payment_intent\": \"%s\"}",
                           json_object_get_string_member (
                               json_node_get_object (json_parser_get_root (intent_parser)), "id"));
      process = json_from_string (process_text, NULL);
      /* A display on a reader waiting for a card would only be busy. */
      if (operation == 8)
        {
          processing = rendered (
              state, till_sim_terminal_process_payment_intent (terminal, request, reader, process));
          g_assert_cmpuint (processing->status, ==, 200);
        }
      reply = rendered (
          state,
          operation == 7
              ? till_sim_terminal_set_reader_display (terminal, request, reader, params)
              : till_sim_terminal_present_payment_method (terminal, request, reader, params));
    }
  till_sim_terminal_free (terminal);
  return reply;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static TillStripeSim    *sim;
  static const char *const operations[][2] = {
    { "post", "/v1/payment_intents" },
    { "post", "/v1/payment_intents/{intent}" },
    { "post", "/v1/payment_intents/{intent}/confirm" },
    { "post", "/v1/refunds" },
    { "get", "/v1/events" },
    { "post", "/v1/terminal/locations" },
    { "post", "/v1/terminal/readers" },
    { "post", "/v1/terminal/readers/{reader}/set_reader_display" },
    { "post", "/v1/test_helpers/terminal/readers/{reader}/present_payment_method" },
  };
  g_autoptr (GPtrArray) pairs = NULL;
  g_autoptr (JsonNode) params = NULL;
  g_autoptr (TillSimReply) error = NULL;
  g_autofree char *fingerprint = NULL;

  if (sim == NULL)
    sim = till_stripe_sim_new (NULL, NULL); /* registers the GResource */

  pairs = till_sim_form_decode ((const char *) data, size);
  fingerprint = till_sim_form_fingerprint ("POST", "/v1/payment_intents", pairs);
  g_assert_nonnull (fingerprint);
  params = till_sim_form_build_tree (pairs, &error);
  if (params == NULL)
    {
      check_reply (error);
      return 0;
    }

  for (guint i = 0; i < G_N_ELEMENTS (operations); i++)
    {
      g_autoptr (TillSimReply) invalid =
          till_sim_schema_validate (operations[i][0], operations[i][1], params);
      TillSimState *state;
      g_autoptr (GPtrArray) events = NULL;
      TillSimRequest request = { "http://127.0.0.1:1/", "req_fuzz", NULL, FALSE, NULL };
      g_autoptr (TillSimReply) created = NULL;

      if (invalid != NULL)
        {
          check_reply (invalid);
          g_assert_cmpuint (invalid->status, ==, 400);
          continue;
        }

      /* Valid for this operation: run it on a fresh simulator state. */
      state = till_sim_state_new (till_sim_render_snapshot);
      events = g_ptr_array_new ();
      request.events = events;
      switch (i)
        {
          case 0:
            created = rendered (state, till_sim_state_create_intent (state, &request, params));
            check_reply (created);
            break;
          case 1:
          case 2:
            {
              g_autoptr (JsonNode) base =
                  json_from_string ("{\"amount\": \"1250\", \"currency\": \"usd\"}", NULL);
              g_autoptr (TillSimReply) first =
                  rendered (state, till_sim_state_create_intent (state, &request, base));
              g_autoptr (JsonParser) parser = json_parser_new ();
              g_autoptr (TillSimReply) reply = NULL;
              const char *id;

              g_assert_true (json_parser_load_from_data (parser, first->body, -1, NULL));
              id = json_object_get_string_member (
                  json_node_get_object (json_parser_get_root (parser)), "id");
              reply = rendered (
                  state, i == 1 ? till_sim_state_update_intent (state, &request, id, params)
                                : till_sim_state_confirm_intent (state, &request, id, params));
              check_reply (reply);
            }
            break;
          case 3:
            created = rendered (state, till_sim_state_create_refund (state, &request, params));
            check_reply (created);
            break;
          case 4:
            created = rendered (state, till_sim_state_list_events (state, &request, params));
            check_reply (created);
            break;
          case 5:
          case 6:
          case 7:
          case 8:
            created = run_terminal (state, &request, i, params);
            check_reply (created);
            break;
          default:
            break;
        }
      till_sim_state_free (state);
    }

  return 0;
}
