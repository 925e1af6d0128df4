/* Which MSKs the card holds, as the ME learns from the card's answers (TS 31.102 7.1.1.6). */
#include "mbms-uicc-msks.h"

#include <string.h>

#define MSKS_PER_GROUP 2 /* EF_MSK: n = 2 MSK IDs per Key Domain ID and Key Group (4.2.80) */
#define MAX_MSKS       256 /* bounds what MSK messages under many groups can make us keep */

typedef struct {
  guint8   domain[3];
  guint32  msk_id;
  GBytes  *rand;
  GBytes  *policy;
} Entry;

struct _MbmsUiccMsks {
  GPtrArray *entries; /* Entry, newest first */
};

static void
entry_free (Entry *e)
{
  g_clear_pointer (&e->rand, g_bytes_unref);
  g_clear_pointer (&e->policy, g_bytes_unref);
  g_free (e);
}

MbmsUiccMsks *
mbms_uicc_msks_new (void)
{
  MbmsUiccMsks *msks = g_new0 (MbmsUiccMsks, 1);

  msks->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  return msks;
}

void
mbms_uicc_msks_free (MbmsUiccMsks *msks)
{
  if (msks == NULL)
    return;
  g_ptr_array_unref (msks->entries);
  g_free (msks);
}

static Entry *
find (MbmsUiccMsks *msks, const guint8 domain[3], guint32 msk_id, guint *index)
{
  for (guint i = 0; i < msks->entries->len; i++)
    {
      Entry *e = g_ptr_array_index (msks->entries, i);
      if (e->msk_id == msk_id && memcmp (e->domain, domain, 3) == 0)
        {
          if (index != NULL)
            *index = i;
          return e;
        }
    }
  return NULL;
}

void
mbms_uicc_msks_add (MbmsUiccMsks *msks, const guint8 domain[3], guint32 msk_id, GBytes *rand, GBytes *policy)
{
  guint index = 0, in_group = 0;
  Entry *e = find (msks, domain, msk_id, &index);

  if (e != NULL)
    g_ptr_array_steal_index (msks->entries, index);
  else
    {
      e = g_new0 (Entry, 1);
      memcpy (e->domain, domain, 3);
      e->msk_id = msk_id;
    }
  if (rand != NULL)
    {
      g_clear_pointer (&e->rand, g_bytes_unref);
      e->rand = g_bytes_ref (rand);
    }
  if (policy != NULL)
    {
      g_clear_pointer (&e->policy, g_bytes_unref);
      e->policy = g_bytes_ref (policy);
    }
  g_ptr_array_insert (msks->entries, 0, e);
  /* the card keeps two per group (7.1.1.6): the ME follows, the newest first */
  for (guint i = 1; i < msks->entries->len;)
    {
      Entry *o = g_ptr_array_index (msks->entries, i);
      if (memcmp (o->domain, domain, 3) == 0 && MGV_MSK_KEY_GROUP (o->msk_id) == MGV_MSK_KEY_GROUP (msk_id)
          && ++in_group >= MSKS_PER_GROUP)
        g_ptr_array_remove_index (msks->entries, i);
      else
        i++;
    }
  if (msks->entries->len > MAX_MSKS)
    g_ptr_array_set_size (msks->entries, MAX_MSKS);
}

gboolean
mbms_uicc_msks_holds (MbmsUiccMsks *msks, const guint8 domain[3], guint32 msk_id)
{
  return find (msks, domain, msk_id, NULL) != NULL;
}

void
mbms_uicc_msks_forget (MbmsUiccMsks *msks, const guint8 domain[3], guint32 msk_id)
{
  guint index;

  if (find (msks, domain, msk_id, &index) != NULL)
    g_ptr_array_remove_index (msks->entries, index);
}

guint
mbms_uicc_msks_forget_group (MbmsUiccMsks *msks, const guint8 domain[3], gint key_group)
{
  guint n = 0;

  for (guint i = 0; i < msks->entries->len;)
    {
      Entry *e = g_ptr_array_index (msks->entries, i);
      if (memcmp (e->domain, domain, 3) == 0 && (key_group < 0 || MGV_MSK_KEY_GROUP (e->msk_id) == key_group))
        g_ptr_array_remove_index (msks->entries, i), n++;
      else
        i++;
    }
  return n;
}

GBytes *
mbms_uicc_msks_get_rand (MbmsUiccMsks *msks, const guint8 domain[3], guint32 msk_id)
{
  Entry *e = find (msks, domain, msk_id, NULL);

  return e != NULL && e->rand != NULL ? g_bytes_ref (e->rand) : NULL;
}

GBytes *
mbms_uicc_msks_get_policy (MbmsUiccMsks *msks, const guint8 domain[3], guint32 msk_id)
{
  Entry *e = find (msks, domain, msk_id, NULL);

  return e != NULL && e->policy != NULL ? g_bytes_ref (e->policy) : NULL;
}

GArray *
mbms_uicc_msks_list (MbmsUiccMsks *msks)
{
  GArray *list = g_array_new (FALSE, TRUE, sizeof (MgvMskInfo));

  for (guint i = 0; i < msks->entries->len; i++)
    {
      Entry *e = g_ptr_array_index (msks->entries, i);
      MgvMskInfo info = { .msk_id = e->msk_id, .has_policy = e->policy != NULL };
      memcpy (info.domain, e->domain, 3);
      g_array_append_val (list, info);
    }
  return list;
}
