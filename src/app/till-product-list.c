/* till-product-list.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-product-list.h"

/* Slots */

struct _TillProductSlot
{
  GObject parent_instance;

  TillCatalog *catalog; /* NULL: empty */
  guint        position;
  TillProduct *product; /* made on demand */
};

G_DEFINE_FINAL_TYPE (TillProductSlot, till_product_slot, G_TYPE_OBJECT)

enum
{
  SLOT_PROP_0,
  SLOT_PROP_PRODUCT,
  SLOT_N_PROPS
};

static GParamSpec *slot_properties[SLOT_N_PROPS];

static void
till_product_slot_finalize (GObject *object)
{
  TillProductSlot *self = TILL_PRODUCT_SLOT (object);

  g_clear_object (&self->product);
  g_clear_object (&self->catalog);
  G_OBJECT_CLASS (till_product_slot_parent_class)->finalize (object);
}

static void
till_product_slot_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
      case SLOT_PROP_PRODUCT:
        g_value_set_object (value, till_product_slot_get_product (TILL_PRODUCT_SLOT (object)));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_product_slot_class_init (TillProductSlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = till_product_slot_finalize;
  object_class->get_property = till_product_slot_get_property;

  slot_properties[SLOT_PROP_PRODUCT] =
      g_param_spec_object ("product", NULL, NULL, TILL_TYPE_PRODUCT,
                           G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, SLOT_N_PROPS, slot_properties);
}

static void
till_product_slot_init (TillProductSlot *self)
{
}

TillProduct *
till_product_slot_get_product (TillProductSlot *self)
{
  g_return_val_if_fail (TILL_IS_PRODUCT_SLOT (self), NULL);

  if (self->product == NULL && self->catalog != NULL)
    self->product = till_catalog_dup_product (self->catalog, self->position);
  return self->product;
}

/* @changed: the catalog's products changed, so the same position is another product. */
static void
slot_set_position (TillProductSlot *self, TillCatalog *catalog, guint position, gboolean changed)
{
  if (!changed && self->catalog == catalog && self->position == position)
    return;
  g_set_object (&self->catalog, catalog);
  self->position = position;
  g_clear_object (&self->product);
  g_object_notify_by_pspec (G_OBJECT (self), slot_properties[SLOT_PROP_PRODUCT]);
}

/* The list */

struct _TillProductList
{
  GObject parent_instance;

  TillCatalog *catalog;
  guint        stamp;     /* the catalog's, when the positions were found */
  GArray      *positions; /* what is shown */
  GPtrArray   *slots;     /* at least positions->len of them; never shrinks */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TillProductList,
                               till_product_list,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
till_product_list_get_item_type (GListModel *model)
{
  return TILL_TYPE_PRODUCT_SLOT;
}

static guint
till_product_list_get_n_items (GListModel *model)
{
  return TILL_PRODUCT_LIST (model)->positions->len;
}

static gpointer
till_product_list_get_item (GListModel *model, guint position)
{
  TillProductList *self = TILL_PRODUCT_LIST (model);

  if (position >= self->positions->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->slots, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = till_product_list_get_item_type;
  iface->get_n_items = till_product_list_get_n_items;
  iface->get_item = till_product_list_get_item;
}

static void
till_product_list_finalize (GObject *object)
{
  TillProductList *self = TILL_PRODUCT_LIST (object);

  g_clear_object (&self->catalog);
  g_clear_pointer (&self->positions, g_array_unref);
  g_clear_pointer (&self->slots, g_ptr_array_unref);
  G_OBJECT_CLASS (till_product_list_parent_class)->finalize (object);
}

static void
till_product_list_class_init (TillProductListClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_product_list_finalize;
}

static void
till_product_list_init (TillProductList *self)
{
  self->positions = g_array_new (FALSE, FALSE, sizeof (guint32));
  self->slots = g_ptr_array_new_with_free_func (g_object_unref);
}

TillProductList *
till_product_list_new (void)
{
  return g_object_new (TILL_TYPE_PRODUCT_LIST, NULL);
}

void
till_product_list_replace (TillProductList *self, TillCatalog *catalog, GArray *positions)
{
  g_autoptr (GArray) old = NULL;
  guint    old_n, new_n, common;
  guint    stamp;
  gboolean changed;

  g_return_if_fail (TILL_IS_PRODUCT_LIST (self));
  g_return_if_fail (catalog == NULL || TILL_IS_CATALOG (catalog));
  g_return_if_fail (positions != NULL);

  stamp = catalog ? till_catalog_get_stamp (catalog) : 0;
  changed = catalog != self->catalog || stamp != self->stamp;
  g_set_object (&self->catalog, catalog);
  self->stamp = stamp;
  old = self->positions;
  old_n = old->len;
  new_n = positions->len;
  common = MIN (old_n, new_n);
  self->positions = positions;

  while (self->slots->len < new_n)
    g_ptr_array_add (self->slots, g_object_new (TILL_TYPE_PRODUCT_SLOT, NULL));
  /* Slots that stay change their product; those that go let theirs go. */
  for (guint i = 0; i < MAX (old_n, new_n); i++)
    {
      TillProductSlot *slot = g_ptr_array_index (self->slots, i);

      if (i < new_n)
        slot_set_position (slot, catalog, g_array_index (positions, guint32, i), changed);
      else
        slot_set_position (slot, NULL, 0, FALSE);
    }
  if (old_n != new_n)
    g_list_model_items_changed (G_LIST_MODEL (self), common, old_n - common, new_n - common);
}

TillProduct *
till_product_list_peek_product (TillProductList *self, guint position)
{
  g_return_val_if_fail (TILL_IS_PRODUCT_LIST (self), NULL);

  if (position >= self->positions->len)
    return NULL;
  return till_product_slot_get_product (g_ptr_array_index (self->slots, position));
}
