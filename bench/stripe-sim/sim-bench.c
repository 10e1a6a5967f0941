/* sim-bench.c: create-PaymentIntent throughput and latency of the Stripe simulator.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * sim-bench [--url URL | --program PATH] [--connections N] [--seconds S] [--warmup S]
 *
 * Keeps N keep-alive connections busy (libcurl multi) with POST /v1/payment_intents for S
 * seconds after a warm-up, then prints requests/s and latency percentiles. Without --url it
 * starts the simulator program itself (pin it to one core with TILL_BENCH_SIM_CPU=N, which
 * runs it under taskset).
 */
#include "config.h"

#include <curl/curl.h>
#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  CURL              *easy;
  gint64             started;
  GString           *body;
  struct curl_slist *headers;
} Slot;

static size_t
on_data (char *data, size_t size, size_t count, void *user_data)
{
  Slot *slot = user_data;

  g_string_append_len (slot->body, data, size * count);
  return size * count;
}

static int
compare_int64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static char *
start_program (const char *program, GSubprocess **out)
{
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GDataInputStream) lines = NULL;
  g_autoptr (GError) error = NULL;
  const char  *cpu = g_getenv ("TILL_BENCH_SIM_CPU");
  GSubprocess *process;
  char        *url;

  if (cpu != NULL)
    process = g_subprocess_launcher_spawn (launcher, &error, "taskset", "-c", cpu, program,
                                           "--listen", "127.0.0.1:0", NULL);
  else
    process =
        g_subprocess_launcher_spawn (launcher, &error, program, "--listen", "127.0.0.1:0", NULL);
  if (process == NULL)
    g_error ("cannot start %s: %s", program, error->message);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  url = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  if (url == NULL)
    g_error ("%s printed no URL", program);
  *out = process;
  return url;
}

static void
slot_start (CURLM *multi, Slot *slot, const char *endpoint)
{
  g_string_truncate (slot->body, 0);
  curl_easy_setopt (slot->easy, CURLOPT_URL, endpoint);
  curl_easy_setopt (slot->easy, CURLOPT_POSTFIELDS,
                    "amount=1250&currency=usd&metadata[till_order_id]=42"
                    "&automatic_payment_methods[enabled]=true");
  slot->started = g_get_monotonic_time ();
  curl_multi_add_handle (multi, slot->easy);
}

int
main (int argc, char **argv)
{
  g_autofree char *url = NULL;
  g_autofree char *program = NULL;
  int              connections = 10;
  double           seconds = 5, warmup = 1;
  GOptionEntry     entries[] = {
        { "url", 0, 0, G_OPTION_ARG_STRING, &url, "Simulator base URL (else start --program)", "URL" },
        { "program", 0, 0, G_OPTION_ARG_FILENAME, &program, "till-stripe-sim to start", "PATH" },
        { "connections", 'c', 0, G_OPTION_ARG_INT, &connections, "Concurrent connections (10)", "N" },
        { "seconds", 's', 0, G_OPTION_ARG_DOUBLE, &seconds, "Measured seconds (5)", "S" },
        { "warmup", 'w', 0, G_OPTION_ARG_DOUBLE, &warmup, "Warm-up seconds (1)", "S" },
        { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GArray) latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *endpoint = NULL;
  g_autofree Slot *slots = NULL;
  CURLM           *multi;
  gint64           start, measure_from, measure_to;
  guint64          failures = 0, measured = 0;
  int              running = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("sim-bench: %s\n", error->message);
      return 2;
    }
  if (connections < 1 || connections > 1000)
    connections = 10;

  if (url == NULL)
    {
      if (program == NULL)
        program = g_strdup (SIM_PROGRAM);
      url = start_program (program, &process);
    }
  endpoint = g_strconcat (url, g_str_has_suffix (url, "/") ? "" : "/", "v1/payment_intents", NULL);

  curl_global_init (CURL_GLOBAL_DEFAULT);
  multi = curl_multi_init ();
  curl_multi_setopt (multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long) connections);
  slots = g_new0 (Slot, connections);
  for (int i = 0; i < connections; i++)
    {
      slots[i].easy = curl_easy_init ();
      slots[i].body = g_string_new (NULL);
      slots[i].headers = curl_slist_append (NULL, "Authorization: Bearer sk_test_bench");
      slots[i].headers = curl_slist_append (slots[i].headers, "Expect:");
      curl_easy_setopt (slots[i].easy, CURLOPT_HTTPHEADER, slots[i].headers);
      curl_easy_setopt (slots[i].easy, CURLOPT_WRITEFUNCTION, on_data);
      curl_easy_setopt (slots[i].easy, CURLOPT_WRITEDATA, &slots[i]);
      curl_easy_setopt (slots[i].easy, CURLOPT_PRIVATE, &slots[i]);
      curl_easy_setopt (slots[i].easy, CURLOPT_TCP_NODELAY, 1L);
      slot_start (multi, &slots[i], endpoint);
    }

  start = g_get_monotonic_time ();
  measure_from = start + (gint64) (warmup * G_USEC_PER_SEC);
  measure_to = measure_from + (gint64) (seconds * G_USEC_PER_SEC);

  for (;;)
    {
      CURLMsg *msg;
      int      left;
      gint64   now;

      curl_multi_perform (multi, &running);
      while ((msg = curl_multi_info_read (multi, &left)) != NULL)
        {
          Slot *slot;
          long  status = 0;

          if (msg->msg != CURLMSG_DONE)
            continue;
          curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, (char **) &slot);
          curl_easy_getinfo (msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
          now = g_get_monotonic_time ();
          if (now >= measure_from && now < measure_to)
            {
              gint64 latency = now - slot->started;

              if (msg->data.result != CURLE_OK || status != 200)
                failures++;
              else
                g_array_append_val (latencies, latency);
              measured++;
            }
          curl_multi_remove_handle (multi, slot->easy);
          if (now < measure_to)
            slot_start (multi, slot, endpoint);
        }
      if (g_get_monotonic_time () >= measure_to && running == 0)
        break;
      curl_multi_poll (multi, NULL, 0, 100, NULL);
    }

  g_array_sort (latencies, compare_int64);
  if (latencies->len > 0)
    {
      guint n = latencies->len;

      printf ("connections   %d\n", connections);
      printf ("requests      %" G_GUINT64_FORMAT " in %.1f s (%" G_GUINT64_FORMAT " failed)\n",
              measured, seconds, failures);
      printf ("throughput    %.0f requests/s\n", n / seconds);
      printf ("latency p50   %.3f ms\n", g_array_index (latencies, gint64, n / 2) / 1000.0);
      printf ("latency p90   %.3f ms\n", g_array_index (latencies, gint64, n * 9 / 10) / 1000.0);
      printf ("latency p99   %.3f ms\n", g_array_index (latencies, gint64, n * 99 / 100) / 1000.0);
      printf ("latency max   %.3f ms\n", g_array_index (latencies, gint64, n - 1) / 1000.0);
    }
  else
    printf ("no successful requests (%" G_GUINT64_FORMAT " failed)\n", failures);

  for (int i = 0; i < connections; i++)
    {
      curl_easy_cleanup (slots[i].easy);
      curl_slist_free_all (slots[i].headers);
      g_string_free (slots[i].body, TRUE);
    }
  curl_multi_cleanup (multi);
  curl_global_cleanup ();

  if (process != NULL)
    {
      g_subprocess_send_signal (process, 15);
      g_subprocess_wait (process, NULL, NULL);
    }
  return failures == 0 && latencies->len > 0 ? 0 : 1;
}
