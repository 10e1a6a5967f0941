/* till-demo.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-demo.h"

static const struct
{
  const char *name;
  const char *barcode;
  gint64      amount;
  int         tax_rate;
  const char *category;
} demo[] = {
  { "Simit", "8690000000017", 150, 800, "Bakery" },
  { "Croissant", "8690000000024", 325, 800, "Bakery" },
  { "Sourdough Loaf", "8690000000031", 650, 800, "Bakery" },
  { "Cinnamon Roll", "8690000000048", 375, 800, "Bakery" },
  { "Ayran 300 ml", "8690000000055", 125, 800, "Drinks" },
  { "Türk Kahvesi", "8690000000062", 450, 800, "Drinks" },
  { "Çay", "8690000000079", 100, 800, "Drinks" },
  { "Sparkling Water", "8690000000086", 199, 800, "Drinks" },
  { "Orange Juice 1 l", "8690000000093", 429, 800, "Drinks" },
  { "Espresso Beans 250 g", "8690000000109", 1295, 800, "Coffee" },
  { "Filter Papers", "8690000000116", 349, 1800, "Coffee" },
  { "Ceramic Mug", "8690000000123", 1450, 1800, "Kitchen" },
  { "Kaşık Set", "8690000000130", 899, 1800, "Kitchen" },
  { "Tea Towel", "8690000000147", 650, 1800, "Kitchen" },
  { "Olive Oil 500 ml", "8690000000154", 1099, 800, "Pantry" },
  { "Ispanak 500 g", "8690000000161", 275, 800, "Produce" },
  { "İncir (Figs) 250 g", "8690000000178", 525, 800, "Produce" },
  { "Red Apples 1 kg", "8690000000185", 349, 800, "Produce" },
  { "Crème Brûlée", "8690000000192", 550, 800, "Bakery" },
  { "Baklava Box", "8690000000208", 1899, 800, "Bakery" },
  { "Honey Jar", "8690000000215", 975, 800, "Pantry" },
  { "Granola 400 g", "8690000000222", 649, 800, "Pantry" },
  { "Dark Chocolate", "8690000000239", 299, 800, "Pantry" },
  { "Gift Card", "8690000000246", 2500, 0, "Gifts" },
};

void
till_demo_fill_server (TillTestAppServer *server)
{
  for (guint i = 0; i < G_N_ELEMENTS (demo); i++)
    till_test_app_server_add_product (server, i + 1, demo[i].name, demo[i].barcode, demo[i].amount,
                                      demo[i].tax_rate, demo[i].category);
}
