/* replay.c: runs a libFuzzer target over every file of a corpus, as a normal test.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
main (int argc, char **argv)
{
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GError) error = NULL;
  const char *name;
  guint       count = 0;

  if (argc != 2)
    {
      g_printerr ("usage: %s CORPUS-DIRECTORY\n", argv[0]);
      return 2;
    }

  dir = g_dir_open (argv[1], 0, &error);
  if (dir == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  g_print ("TAP version 13\n");
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (argv[1], name, NULL);
      g_autofree char *contents = NULL;
      gsize            length;

      if (!g_file_get_contents (path, &contents, &length, &error))
        {
          g_print ("not ok %u %s # %s\n", ++count, name, error->message);
          return 1;
        }
      LLVMFuzzerTestOneInput ((const guint8 *) contents, length);
      g_print ("ok %u %s\n", ++count, name);
    }
  g_print ("1..%u\n", count);

  return count > 0 ? 0 : 1;
}
