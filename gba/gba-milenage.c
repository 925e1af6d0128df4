/* Milenage, TS 35.206 clause 4: f1, f1*, f2, f3, f4, f5, f5* over AES-128, and the network
 * side of AKA the lab BSF needs (AUTN, TS 33.102 6.3.2; AUTS check, 6.3.5). */
#include "gba.h"

#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <string.h>

/* TS 35.206 4.1: rotations r1..r5 in bits and constants c1..c5 (last octet; the rest zero). */
#define MILENAGE_R1 64
#define MILENAGE_R2 0
#define MILENAGE_R3 32
#define MILENAGE_R4 64
#define MILENAGE_R5 96
#define MILENAGE_C1 0x00
#define MILENAGE_C2 0x01
#define MILENAGE_C3 0x02
#define MILENAGE_C4 0x04
#define MILENAGE_C5 0x08

static const guint8 AMF_RESYNC[2] = { 0x00, 0x00 }; /* TS 33.102 6.3.3: AMF* for MAC-S */

/* E_K: one AES-128 block (ECB with no padding is exactly the block cipher). */
static void
aes_encrypt (const guint8 k[16], const guint8 in[16], guint8 out[16])
{
  EVP_CIPHER *aes = EVP_CIPHER_fetch (NULL, "AES-128-ECB", NULL);
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  int len = 0;

  if (aes == NULL || ctx == NULL || EVP_EncryptInit_ex2 (ctx, aes, k, NULL, NULL) != 1
      || EVP_CIPHER_CTX_set_padding (ctx, 0) != 1 || EVP_EncryptUpdate (ctx, out, &len, in, 16) != 1 || len != 16)
    g_error ("OpenSSL AES-128-ECB failed");
  EVP_CIPHER_CTX_free (ctx);
  EVP_CIPHER_free (aes);
}

/* Rotate a 128-bit value left by r bits (r a multiple of 8 in Milenage). */
static void
rotate (const guint8 in[16], guint r, guint8 out[16])
{
  guint bytes = r / 8;

  for (guint i = 0; i < 16; i++)
    out[i] = in[(i + bytes) % 16];
}

void
gba_milenage_opc (const guint8 k[16], const guint8 op[16], guint8 opc[16])
{
  guint8 e[16];

  aes_encrypt (k, op, e);
  for (int i = 0; i < 16; i++)
    opc[i] = e[i] ^ op[i];
  gba_wipe (e, sizeof e);
}

/* TEMP = E_K(RAND XOR OPc) */
static void
milenage_temp (const guint8 k[16], const guint8 opc[16], const guint8 rand[16], guint8 temp[16])
{
  guint8 x[16];

  for (int i = 0; i < 16; i++)
    x[i] = rand[i] ^ opc[i];
  aes_encrypt (k, x, temp);
  gba_wipe (x, sizeof x);
}

void
gba_milenage_f1 (const guint8 k[16], const guint8 opc[16], const guint8 rand[16], const guint8 sqn[6],
                 const guint8 amf[2], guint8 mac_a[8], guint8 mac_s[8])
{
  guint8 temp[16], in1[16], rot[16], x[16], out1[16];

  milenage_temp (k, opc, rand, temp);
  /* IN1 = SQN || AMF || SQN || AMF */
  memcpy (in1, sqn, 6);
  memcpy (in1 + 6, amf, 2);
  memcpy (in1 + 8, sqn, 6);
  memcpy (in1 + 14, amf, 2);
  for (int i = 0; i < 16; i++)
    in1[i] ^= opc[i];
  rotate (in1, MILENAGE_R1, rot);
  /* OUT1 = E_K(TEMP XOR rot(IN1 XOR OPc, r1) XOR c1) XOR OPc */
  for (int i = 0; i < 16; i++)
    x[i] = temp[i] ^ rot[i];
  x[15] ^= MILENAGE_C1;
  aes_encrypt (k, x, out1);
  for (int i = 0; i < 16; i++)
    out1[i] ^= opc[i];
  if (mac_a != NULL)
    memcpy (mac_a, out1, 8);
  if (mac_s != NULL)
    memcpy (mac_s, out1 + 8, 8);
  /* in1, rot and x carry OPc and TEMP masks: wipe them with TEMP itself */
  gba_wipe (temp, sizeof temp);
  gba_wipe (in1, sizeof in1);
  gba_wipe (rot, sizeof rot);
  gba_wipe (x, sizeof x);
  gba_wipe (out1, sizeof out1);
}

/* OUTk = E_K(rot(TEMP XOR OPc, rk) XOR ck) XOR OPc */
static void
milenage_out (const guint8 k[16], const guint8 opc[16], const guint8 temp[16], guint r, guint8 c, guint8 out[16])
{
  guint8 x[16], rot[16];

  for (int i = 0; i < 16; i++)
    x[i] = temp[i] ^ opc[i];
  rotate (x, r, rot);
  rot[15] ^= c;
  aes_encrypt (k, rot, out);
  for (int i = 0; i < 16; i++)
    out[i] ^= opc[i];
  gba_wipe (x, sizeof x);
  gba_wipe (rot, sizeof rot);
}

void
gba_milenage_f2345 (const guint8 k[16], const guint8 opc[16], const guint8 rand[16], guint8 res[8], guint8 ck[16],
                    guint8 ik[16], guint8 ak[6], guint8 ak_star[6])
{
  guint8 temp[16], out[16];

  milenage_temp (k, opc, rand, temp);
  milenage_out (k, opc, temp, MILENAGE_R2, MILENAGE_C2, out);
  if (res != NULL)
    memcpy (res, out + 8, 8); /* f2 = OUT2[64..127] */
  if (ak != NULL)
    memcpy (ak, out, 6);      /* f5 = OUT2[0..47] */
  if (ck != NULL)
    milenage_out (k, opc, temp, MILENAGE_R3, MILENAGE_C3, ck);
  if (ik != NULL)
    milenage_out (k, opc, temp, MILENAGE_R4, MILENAGE_C4, ik);
  if (ak_star != NULL)
    {
      milenage_out (k, opc, temp, MILENAGE_R5, MILENAGE_C5, out);
      memcpy (ak_star, out, 6);
    }
  gba_wipe (temp, sizeof temp);
  gba_wipe (out, sizeof out);
}

void
gba_milenage_autn (const guint8 k[16], const guint8 opc[16], const guint8 rand[16], const guint8 sqn[6],
                   const guint8 amf[2], guint8 autn[16])
{
  guint8 ak[6], mac_a[8];

  gba_milenage_f2345 (k, opc, rand, NULL, NULL, NULL, ak, NULL);
  gba_milenage_f1 (k, opc, rand, sqn, amf, mac_a, NULL);
  for (int i = 0; i < 6; i++)
    autn[i] = sqn[i] ^ ak[i];
  memcpy (autn + 6, amf, 2);
  memcpy (autn + 8, mac_a, 8);
  gba_wipe (ak, sizeof ak);
  gba_wipe (mac_a, sizeof mac_a);
}

gboolean
gba_milenage_check_auts (const guint8 k[16], const guint8 opc[16], const guint8 rand[16], const guint8 auts[14],
                         guint8 sqn_ms[6])
{
  guint8 ak_star[6], mac_s[8];
  gboolean ok;

  /* AUTS = (SQN_MS XOR AK*) || MAC-S, MAC-S = f1*(SQN_MS, RAND, AMF = 0000) */
  gba_milenage_f2345 (k, opc, rand, NULL, NULL, NULL, NULL, ak_star);
  for (int i = 0; i < 6; i++)
    sqn_ms[i] = auts[i] ^ ak_star[i];
  gba_milenage_f1 (k, opc, rand, sqn_ms, AMF_RESYNC, NULL, mac_s);
  ok = CRYPTO_memcmp (mac_s, auts + 6, 8) == 0;
  gba_wipe (ak_star, sizeof ak_star);
  gba_wipe (mac_s, sizeof mac_s);
  return ok;
}

guint64
gba_sqn_to_u64 (const guint8 sqn[6])
{
  guint64 v = 0;

  for (int i = 0; i < 6; i++)
    v = v << 8 | sqn[i];
  return v;
}

void
gba_sqn_from_u64 (guint64 value, guint8 sqn[6])
{
  for (int i = 5; i >= 0; i--)
    {
      sqn[i] = (guint8) value;
      value >>= 8;
    }
}
