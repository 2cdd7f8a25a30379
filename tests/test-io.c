/* SPDX-License-Identifier: GPL-3.0-or-later */
/* I/O: round trips for every type and both formats, real files from
 * ../shared/data with the facts their SOURCE.md states, hostile inputs,
 * tilt angles, atomic writes. Peer checks (tifffile, mrcfile, ImageJ) live in
 * tests/py/test_io_peers.py. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>
#include <zlib.h>

#include "ps-atomic-file.h"
#include "ps-error.h"
#include "ps-memory.h"
#include "ps-stats.h"
#include "ps-volume-io.h"
#include "ps-test-util.h"

#define SKIP_WITHOUT(path)                                          \
  G_STMT_START {                                                    \
    if ((path) == NULL)                                             \
      {                                                             \
        g_test_skip ("../shared/data is not available");            \
        return;                                                     \
      }                                                             \
  } G_STMT_END

static PsVolume *
random_volume (gsize nx, gsize ny, gsize nz, double lo, double hi, gboolean integers, guint64 seed)
{
  PsTestRng rng = { seed };
  PsVolume *v = ps_volume_new (nx, ny, nz, NULL);
  for (gsize i = 0; i < nx * ny * nz; i++)
    {
      double x = lo + (hi - lo) * ps_test_rng_uniform (&rng);
      v->data[i] = (float) (integers ? floor (x) : x);
    }
  ps_volume_set_spacing (v, 0.37, 0.52, 1.25);
  return v;
}

static void
assert_same_volume (const PsVolume *a, const PsVolume *b, double tol)
{
  g_assert_cmpuint (a->nx, ==, b->nx);
  g_assert_cmpuint (a->ny, ==, b->ny);
  g_assert_cmpuint (a->nz, ==, b->nz);
  for (gsize i = 0; i < ps_volume_n_voxels (a); i++)
    if (!(fabs (a->data[i] - b->data[i]) <= tol || (isnan (a->data[i]) && isnan (b->data[i]))))
      g_error ("voxel %zu: %g != %g", i, a->data[i], b->data[i]);
}

static void
assert_spacing (const PsVolume *v, double dx, double dy, double dz, double rel)
{
  g_assert_true (v->spacing_known);
  g_assert_cmpfloat_with_epsilon (v->spacing[0], dx, dx * rel);
  g_assert_cmpfloat_with_epsilon (v->spacing[1], dy, dy * rel);
  g_assert_cmpfloat_with_epsilon (v->spacing[2], dz, dz * rel);
}

/* ---- round trips ----------------------------------------------------------- */

typedef struct
{
  const char *ext;
  PsDType dtype;
  double lo, hi;
  gboolean integers;
  double tol;
} RoundTrip;

static void
test_round_trip (gconstpointer data)
{
  const RoundTrip *rt = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) v = random_volume (13, 7, 5, rt->lo, rt->hi, rt->integers, 7);
  g_autofree char *path = ps_test_tmp_path (rt->ext);
  PsSaveOptions opts = { rt->dtype, FALSE, FALSE };
  g_autoptr(PsFileInfo) info = NULL;

  v->data[3] = rt->dtype == PS_DTYPE_F32 || rt->dtype == PS_DTYPE_F16 ? NAN : v->data[3];
  g_assert_true (ps_volume_save (v, path, &opts, NULL, &error));
  g_assert_no_error (error);
  g_autoptr(PsVolume) back = ps_volume_load (path, &info, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  g_assert_cmpint (info->dtype, ==, rt->dtype);
  assert_same_volume (v, back, rt->tol);
  /* Anisotropic voxel size survives (TIFF stores 32-bit rationals). */
  assert_spacing (back, 0.37, 0.52, 1.25, 1e-6);
}

static void
test_round_trip_labels (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ps_test_tmp_path ("labels.tif");
  g_autoptr(PsLabels) l = ps_labels_new (9, 8, 7, NULL);
  PsTestRng rng = { 3 };
  for (gsize i = 0; i < 9 * 8 * 7; i++)
    l->data[i] = (guint32) (ps_test_rng_next (&rng) & 0xffffffffu);
  l->data[0] = 0;
  l->data[1] = G_MAXUINT32;
  l->spacing[0] = 0.25; l->spacing[1] = 0.5; l->spacing[2] = 0.75;
  l->spacing_known = TRUE;
  ps_labels_update_count (l);
  g_assert_true (ps_labels_save (l, path, &error));
  g_assert_no_error (error);
  g_autoptr(PsLabels) back = ps_labels_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (back->data, 9 * 8 * 7 * 4, l->data, 9 * 8 * 7 * 4);
  g_assert_cmpuint (back->n_labels, ==, G_MAXUINT32);
  g_assert_cmpfloat_with_epsilon (back->spacing[2], 0.75, 1e-9);
  /* A float volume is not a label image. */
  g_autoptr(PsVolume) v = random_volume (4, 4, 2, 0, 1, FALSE, 1);
  g_autofree char *fpath = ps_test_tmp_path ("notlabels.tif");
  g_assert_true (ps_volume_save (v, fpath, NULL, NULL, &error));
  g_assert_null (ps_labels_load (fpath, &error));
  g_assert_error (error, PS_ERROR, PS_ERROR_CODE_UNSUPPORTED_FORMAT);
}

/* tifffile reads our uint32 labels with the voxel size (as Fiji and napari
 * do through the same ImageJ metadata). */
static void
test_labels_tifffile (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ps_test_tmp_path ("labels-peer.tif");
  g_autoptr(PsLabels) l = ps_labels_new (5, 4, 3, NULL);
  g_autofree char *out = NULL, *err = NULL;
  for (guint32 i = 0; i < 60; i++)
    l->data[i] = i * 71000u;
  l->spacing[0] = 0.25; l->spacing[1] = 0.5; l->spacing[2] = 0.75;
  l->spacing_known = TRUE;
  g_assert_true (ps_labels_save (l, path, &error));
  int rc = ps_test_python (&out, &err,
                           "import sys, tifffile, numpy as np\n"
                           "t = tifffile.TiffFile(sys.argv[1]); a = t.asarray()\n"
                           "assert a.dtype == np.uint32 and a.shape == (3, 4, 5), (a.dtype, a.shape)\n"
                           "assert (a.ravel() == np.arange(60, dtype=np.uint64) * 71000).all()\n"
                           "ij = t.imagej_metadata; x = t.pages[0].tags['XResolution'].value\n"
                           "assert ij['unit'] == 'nm' and abs(ij['spacing'] - 0.75) < 1e-12, ij\n"
                           "assert abs(x[1] / x[0] - 0.25) < 1e-9, x\n"
                           "print('ok')\n",
                           path, NULL);
  if (rc == -1)
    {
      g_test_skip ("no system Python with tifffile");
      return;
    }
  g_assert_cmpint (rc, ==, 0);
  g_assert_cmpstr (out, ==, "ok\n");
}

static void
test_rescale (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) v = ps_volume_new (4, 1, 1, NULL);
  g_autofree char *path = ps_test_tmp_path ("rescale.tif");
  PsSaveOptions opts = { PS_DTYPE_U8, TRUE, FALSE };
  v->data[0] = -1.0f; v->data[1] = 0.0f; v->data[2] = 0.5f; v->data[3] = 3.0f;
  g_assert_true (ps_volume_save (v, path, &opts, NULL, &error));
  g_autoptr(PsVolume) b = ps_volume_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  /* [−1, 3] → [0, 255]: −1→0, 0→63.75→64, 0.5→95.6→96, 3→255 */
  g_assert_cmpfloat (b->data[0], ==, 0);
  g_assert_cmpfloat (b->data[1], ==, 64);
  g_assert_cmpfloat (b->data[2], ==, 96);
  g_assert_cmpfloat (b->data[3], ==, 255);
  /* Whole numbers in range are copied exactly. */
  v->data[0] = 0; v->data[1] = 17; v->data[2] = 200; v->data[3] = 255;
  g_assert_true (ps_volume_save (v, path, &opts, NULL, &error));
  g_clear_pointer (&b, ps_volume_unref);
  b = ps_volume_load (path, NULL, NULL, &error);
  g_assert_cmpmem (b->data, 16, v->data, 16);
}

static void
test_unknown_spacing (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) v = ps_volume_new (3, 3, 3, NULL);
  for (const char *const *ext = (const char *const[]) { "nospacing.tif", "nospacing.mrc", NULL }; *ext; ext++)
    {
      g_autofree char *path = ps_test_tmp_path (*ext);
      g_autoptr(PsFileInfo) info = NULL;
      g_assert_true (ps_volume_save (v, path, NULL, NULL, &error));
      g_autoptr(PsVolume) b = ps_volume_load (path, &info, NULL, &error);
      g_assert_no_error (error);
      g_assert_false (b->spacing_known);
      g_assert_false (info->spacing_known);
      g_assert_cmpfloat (b->spacing[0], ==, 1.0);
    }
}

/* ---- MRC specifics ------------------------------------------------------------ */

static void
put_i32 (guint8 *h, gsize off, gint32 v, gboolean big)
{
  guint32 u = big ? GUINT32_TO_BE ((guint32) v) : GUINT32_TO_LE ((guint32) v);
  memcpy (h + off, &u, 4);
}

static void
put_f32 (guint8 *h, gsize off, float f, gboolean big)
{
  guint32 u;
  memcpy (&u, &f, 4);
  u = big ? GUINT32_TO_BE (u) : GUINT32_TO_LE (u);
  memcpy (h + off, &u, 4);
}

/* A hand-made MRC: int16 data, chosen byte order, optional extended header. */
static char *
write_mrc_by_hand (const char *name, gboolean big, gint32 mode, gint32 nsymbt, gboolean imod_unsigned)
{
  guint8 h[1024] = { 0 };
  const gint32 nx = 5, ny = 4, nz = 3;
  g_autofree char *path = ps_test_tmp_path (name);
  GByteArray *file = g_byte_array_new ();
  put_i32 (h, 0, nx, big); put_i32 (h, 4, ny, big); put_i32 (h, 8, nz, big);
  put_i32 (h, 12, mode, big);
  put_i32 (h, 28, nx, big); put_i32 (h, 32, ny, big); put_i32 (h, 36, nz, big);
  put_f32 (h, 40, nx * 2.0f, big); put_f32 (h, 44, ny * 3.0f, big); put_f32 (h, 48, nz * 4.0f, big);
  put_i32 (h, 64, 1, big); put_i32 (h, 68, 2, big); put_i32 (h, 72, 3, big);
  put_i32 (h, 92, nsymbt, big);
  memcpy (h + 208, "MAP ", 4);
  if (big) { h[212] = 0x11; h[213] = 0x11; } else { h[212] = 0x44; h[213] = 0x44; }
  if (imod_unsigned)
    put_i32 (h, 152, 1146047817, big);
  g_byte_array_append (file, h, sizeof h);
  for (gint32 i = 0; i < nsymbt; i++)
    g_byte_array_append (file, (const guint8 *) "x", 1);
  for (gint32 i = 0; i < nx * ny * nz; i++)
    {
      if (mode == 1)
        {
          gint16 v = (gint16) (i * 37 - 500);
          guint16 u = big ? GUINT16_TO_BE ((guint16) v) : GUINT16_TO_LE ((guint16) v);
          g_byte_array_append (file, (guint8 *) &u, 2);
        }
      else
        {
          guint8 b = (guint8) (i * 5);
          g_byte_array_append (file, &b, 1);
        }
    }
  g_assert_true (g_file_set_contents (path, (char *) file->data, file->len, NULL));
  g_byte_array_unref (file);
  return g_steal_pointer (&path);
}

static void
test_mrc_byte_order (void)
{
  for (int big = 0; big < 2; big++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = write_mrc_by_hand (big ? "be.mrc" : "le.mrc", big, 1, 96, FALSE);
      g_autoptr(PsVolume) v = ps_volume_load (path, NULL, NULL, &error);
      g_assert_no_error (error);
      for (int i = 0; i < 60; i++)
        g_assert_cmpfloat (v->data[i], ==, (float) (gint16) (i * 37 - 500));
      /* cell / grid in Å → nm */
      assert_spacing (v, 0.2, 0.3, 0.4, 1e-6);
    }
}

static void
test_mrc_mode0 (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *s = write_mrc_by_hand ("signed.mrc", FALSE, 0, 0, FALSE);
  g_autofree char *u = write_mrc_by_hand ("unsigned.mrc", FALSE, 0, 0, TRUE);
  g_autoptr(PsVolume) vs = ps_volume_load (s, NULL, NULL, &error);
  g_autoptr(PsVolume) vu = ps_volume_load (u, NULL, NULL, &error);
  g_assert_no_error (error);
  /* byte 30*5 = 150: signed −106 (MRC2014), unsigned 150 (IMOD stamp, flag clear) */
  g_assert_cmpfloat (vs->data[30], ==, -106);
  g_assert_cmpfloat (vu->data[30], ==, 150);
}

static void
test_mrc_truncated (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *good = write_mrc_by_hand ("good.mrc", FALSE, 1, 0, FALSE);
  g_autofree char *contents = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (good, &contents, &len, NULL));
  const gsize cuts[] = { 0, 10, 500, 1023, 1024, 1025, 1100, 1143 };
  for (gsize i = 0; i < G_N_ELEMENTS (cuts); i++)
    {
      g_autofree char *path = ps_test_tmp_path ("cut.mrc");
      g_assert_true (g_file_set_contents (path, contents, (gssize) cuts[i], NULL));
      g_assert_null (ps_volume_load (path, NULL, NULL, &error));
      g_assert_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE);
      g_assert_nonnull (strstr (error->message, path));
      g_clear_error (&error);
    }
}

static void
test_mrc_absurd (void)
{
  struct { gint32 nx, ny, nz, mode, nsymbt; int code; } cases[] = {
    { -5, 4, 3, 1, 0, PS_ERROR_CODE_CORRUPT_FILE },
    { 5, 0, 3, 1, 0, PS_ERROR_CODE_CORRUPT_FILE },
    { G_MAXINT32, G_MAXINT32, G_MAXINT32, 2, 0, PS_ERROR_CODE_TOO_LARGE },
    { 100000, 100000, 100, 2, 0, PS_ERROR_CODE_CORRUPT_FILE },
    { 5, 4, 3, 1, -100, PS_ERROR_CODE_CORRUPT_FILE },
    { 5, 4, 3, 1, G_MAXINT32, PS_ERROR_CODE_CORRUPT_FILE },
    { 5, 4, 3, 4, 0, PS_ERROR_CODE_UNSUPPORTED_FORMAT },
    { 5, 4, 3, 77, 0, PS_ERROR_CODE_CORRUPT_FILE },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = write_mrc_by_hand ("absurd.mrc", FALSE, 1, 0, FALSE);
      g_autofree char *contents = NULL;
      gsize len;
      g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
      put_i32 ((guint8 *) contents, 0, cases[i].nx, FALSE);
      put_i32 ((guint8 *) contents, 4, cases[i].ny, FALSE);
      put_i32 ((guint8 *) contents, 8, cases[i].nz, FALSE);
      put_i32 ((guint8 *) contents, 12, cases[i].mode, FALSE);
      put_i32 ((guint8 *) contents, 92, cases[i].nsymbt, FALSE);
      g_assert_true (g_file_set_contents (path, contents, (gssize) len, NULL));
      g_assert_null (ps_volume_load (path, NULL, NULL, &error));
      g_assert_error (error, PS_ERROR, cases[i].code);
      /* The same bytes through the in-memory parser (what the fuzzer uses). */
      g_clear_error (&error);
      g_assert_null (ps_mrc_load_from_bytes ((guint8 *) contents, len, "mem", NULL, &error));
      g_assert_nonnull (error);
    }
}

static void
test_mrc_gzip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) v = random_volume (11, 6, 4, -3, 3, FALSE, 11);
  g_autofree char *path = ps_test_tmp_path ("plain.mrc");
  g_autofree char *gzpath = ps_test_tmp_path ("plain.mrc.gz");
  g_autofree char *contents = NULL;
  gsize len;
  g_assert_true (ps_volume_save (v, path, NULL, NULL, &error));
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  gzFile gz = gzopen (gzpath, "wb");
  g_assert_cmpint (gzwrite (gz, contents, (unsigned) len), ==, (int) len);
  gzclose (gz);
  g_autoptr(PsFileInfo) info = NULL;
  g_autoptr(PsVolume) back = ps_volume_load (gzpath, &info, NULL, &error);
  g_assert_no_error (error);
  assert_same_volume (v, back, 0);
  g_assert_nonnull (strstr (info->details, "gzip"));
  /* In memory, as the fuzzer sees it. */
  g_autofree char *gzdata = NULL;
  gsize gzlen;
  g_assert_true (g_file_get_contents (gzpath, &gzdata, &gzlen, NULL));
  g_autoptr(PsVolume) mem = ps_mrc_load_from_bytes ((guint8 *) gzdata, gzlen, "mem.gz", NULL, &error);
  g_assert_no_error (error);
  assert_same_volume (v, mem, 0);
  /* A truncated .gz is an error, not a short volume. */
  g_autofree char *cut = ps_test_tmp_path ("cut.mrc.gz");
  g_assert_true (g_file_set_contents (cut, gzdata, (gssize) (gzlen / 2), NULL));
  g_assert_null (ps_volume_load (cut, NULL, NULL, &error));
  g_assert_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE);
}

static void
test_png_renamed (void)
{
  g_autofree char *png = ps_test_shared_path ("mrcfile-testdata", "emd_3197.png", NULL);
  SKIP_WITHOUT (png);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len;
  g_autofree char *path = ps_test_tmp_path ("picture.mrc");
  g_assert_true (g_file_get_contents (png, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (path, contents, (gssize) len, NULL));
  g_assert_null (ps_volume_load (path, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, path));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_null (ps_volume_load (png, NULL, NULL, &error));
  g_assert_error (error, PS_ERROR, PS_ERROR_CODE_UNSUPPORTED_FORMAT);
}

/* ---- TIFF specifics -------------------------------------------------------------- */

static void
test_tiff_imagej_large_layout (void)
{
  /* ImageJ stores stacks over 4 GiB as one IFD + contiguous data. Mimic it:
   * our writer already lays data out contiguously; cut the IFD chain. */
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) v = random_volume (6, 5, 4, 0, 100, FALSE, 5);
  g_autofree char *path = ps_test_tmp_path ("ijlarge.tif");
  g_autofree char *contents = NULL;
  gsize len;
  g_assert_true (ps_volume_save (v, path, NULL, NULL, &error));
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  guint32 ifd0;
  memcpy (&ifd0, contents + 4, 4);
  guint16 n;
  memcpy (&n, contents + ifd0, 2);
  memset (contents + ifd0 + 2 + 12 * n, 0, 4); /* next IFD = 0 */
  g_assert_true (g_file_set_contents (path, contents, (gssize) len, NULL));
  g_autoptr(PsFileInfo) info = NULL;
  g_autoptr(PsVolume) back = ps_volume_load (path, &info, NULL, &error);
  g_assert_no_error (error);
  assert_same_volume (v, back, 0);
}

static void
write_libtiff_pages (const char *path, const guint32 (*sizes)[2], int n_pages, guint16 spp)
{
  TIFF *t = TIFFOpen (path, "w");
  for (int p = 0; p < n_pages; p++)
    {
      guint32 w = sizes[p][0], h = sizes[p][1];
      g_autofree guint8 *row = g_malloc0 (w * spp);
      TIFFSetField (t, TIFFTAG_IMAGEWIDTH, w);
      TIFFSetField (t, TIFFTAG_IMAGELENGTH, h);
      TIFFSetField (t, TIFFTAG_BITSPERSAMPLE, 8);
      TIFFSetField (t, TIFFTAG_SAMPLESPERPIXEL, spp);
      TIFFSetField (t, TIFFTAG_PHOTOMETRIC, spp == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
      TIFFSetField (t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
      TIFFSetField (t, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
      for (guint32 y = 0; y < h; y++)
        {
          for (guint32 x = 0; x < w * spp; x++)
            row[x] = (guint8) (x + y + p);
          TIFFWriteScanline (t, row, y, 0);
        }
      TIFFWriteDirectory (t);
    }
  TIFFClose (t);
}

static void
test_tiff_inconsistent (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ps_test_tmp_path ("inconsistent.tif");
  const guint32 sizes[3][2] = { { 10, 8 }, { 10, 8 }, { 10, 9 } };
  write_libtiff_pages (path, sizes, 3, 1);
  g_assert_null (ps_volume_load (path, NULL, NULL, &error));
  g_assert_error (error, PS_ERROR, PS_ERROR_CODE_UNSUPPORTED_FORMAT);
  g_assert_nonnull (strstr (error->message, "page 3"));
  g_clear_error (&error);
  /* Deflate-compressed consistent pages load, with the right values. */
  write_libtiff_pages (path, sizes, 2, 1);
  g_autoptr(PsVolume) v = ps_volume_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (v->nz, ==, 2);
  g_assert_cmpfloat (ps_volume_get (v, 3, 4, 1), ==, 3 + 4 + 1);
}

static void
test_tiff_multichannel (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ps_test_tmp_path ("rgb.tif");
  const guint32 sizes[1][2] = { { 10, 8 } };
  write_libtiff_pages (path, sizes, 1, 3);
  g_assert_null (ps_volume_load (path, NULL, NULL, &error));
  g_assert_error (error, PS_ERROR, PS_ERROR_CODE_UNSUPPORTED_FORMAT);
  g_assert_nonnull (strstr (error->message, "single-channel"));
}

static void
test_tiff_malformed (void)
{
  g_autofree char *root = ps_test_shared_path ("image-tiff-testimages", "fuzz_images", NULL);
  SKIP_WITHOUT (root);
  const char *kinds[] = { "divide_by_zero", "inf_loop", "oom_crash", "oor_panic" };
  guint n = 0;
  for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autofree char *dirpath = g_build_filename (root, kinds[k], NULL);
      g_autoptr(GDir) dir = g_dir_open (dirpath, 0, NULL);
      const char *name;
      g_assert_nonnull (dir);
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autoptr(GError) error = NULL;
          g_autofree char *path = g_build_filename (dirpath, name, NULL);
          g_autofree char *contents = NULL;
          gsize len;
          g_autoptr(PsVolume) v = ps_volume_load (path, NULL, NULL, &error);
          /* Each is rejected with a message naming the file. */
          g_assert_null (v);
          g_assert_nonnull (error);
          g_assert_true (g_str_has_prefix (error->message, path));
          g_clear_error (&error);
          /* And through the in-memory path the fuzzer uses. */
          g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
          PsVolume *m = ps_tiff_load_from_bytes ((guint8 *) contents, len, name, NULL, &error);
          g_assert_null (m);
          g_assert_nonnull (error);
          n++;
        }
    }
  g_assert_cmpuint (n, ==, 130);
}

/* Single-channel libtiff test images load with the MANIFEST's size. */
static void
test_tiff_libtiff_images (void)
{
  g_autofree char *manifest = ps_test_shared_path ("image-tiff-testimages", "MANIFEST.tsv", NULL);
  SKIP_WITHOUT (manifest);
  g_autofree char *root = g_path_get_dirname (manifest);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint loaded = 0, rejected = 0;

  g_assert_true (g_file_get_contents (manifest, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", 0);
  for (int i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) f = g_strsplit (lines[i], "\t", 0);
      if (g_strv_length (f) < 15 || g_str_has_prefix (f[0], "fuzz") || f[3][0] == '\0')
        continue;
      g_autofree char *path = g_build_filename (root, f[0], NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(PsVolume) v = ps_volume_load (path, NULL, NULL, &error);
      gboolean grey = g_str_equal (f[8], "1") &&
                      (g_str_equal (f[10], "MINISBLACK") || g_str_equal (f[10], "MINISWHITE") ||
                       g_str_equal (f[10], "PALETTE"));
      if (v == NULL)
        {
          g_assert_nonnull (error);
          g_assert_true (g_str_has_prefix (error->message, path));
          /* Grey images we must read, except ThunderScan (libtiff cannot
           * decode that file either). */
          if (grey && !g_str_equal (f[11], "THUNDERSCAN"))
            g_error ("%s should load: %s", f[0], error->message);
          rejected++;
          continue;
        }
      g_assert_true (grey);
      g_assert_cmpuint (v->nx, ==, g_ascii_strtoull (f[5], NULL, 10));
      g_assert_cmpuint (v->ny, ==, g_ascii_strtoull (f[6], NULL, 10));
      loaded++;
    }
  g_test_message ("%u loaded, %u rejected", loaded, rejected);
  g_assert_cmpuint (loaded, >=, 100);
}

/* The flower images hold one 8-bit picture at several bit depths, so each
 * decoded depth, scaled to [0, 1], lies within one step of the coarser of
 * itself and the 8-bit file (which tifffile checks in the peer test). */
static void
test_tiff_bit_depths (void)
{
  g_autofree char *f16 = ps_test_shared_path ("image-tiff-testimages", "libtiffpic", "depth", "flower-minisblack-08.tif", NULL);
  SKIP_WITHOUT (f16);
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) ref = ps_volume_load (f16, NULL, NULL, &error);
  g_assert_no_error (error);
  const int depths[] = { 2, 4, 6, 10, 12, 14, 16, 24, 32 };
  for (gsize d = 0; d < G_N_ELEMENTS (depths); d++)
    {
      g_autofree char *name = g_strdup_printf ("flower-minisblack-%02d.tif", depths[d]);
      g_autofree char *path = ps_test_shared_path ("image-tiff-testimages", "libtiffpic", "depth", name, NULL);
      g_autoptr(PsVolume) v = ps_volume_load (path, NULL, NULL, &error);
      g_assert_no_error (error);
      double maxval = ldexp (1.0, depths[d]) - 1;
      double worst = 0;
      for (gsize i = 0; i < ps_volume_n_voxels (v); i++)
        {
          double a = v->data[i] / maxval, b = ref->data[i] / 255.0;
          worst = MAX (worst, fabs (a - b));
        }
      /* Within one quantisation step of the coarser depth. */
      g_assert_cmpfloat (worst, <=, 1.0 / MIN (maxval, 255.0) + 1e-6);
    }
}

/* ---- real files (../shared/data, facts from SOURCE.md) ---------------------------- */

typedef struct
{
  const char *dir, *file;
  gsize nx, ny, nz;
  double dx, dy, dz;   /* nm; 0 = unknown */
  double min, max, mean; /* NAN = not checked */
} RealFile;

static const RealFile real_files[] = {
  /* PuMA: ImageJ says unit=inch, 100 px/inch; PuMA itself uses 1.3 µm. */
  { "puma-fiberform", "100_fiberform.tif", 100, 100, 100, 254000, 254000, 254000, 0, 255, NAN },
  { "cylindra-microtubule-tomograms", "13pf_MT.tif", 94, 206, 36, 1.052, 1.052, 1.052, NAN, NAN, NAN },
  { "cylindra-microtubule-tomograms", "14pf_MT.tif", 84, 136, 44, 1.052, 1.052, 1.052, NAN, NAN, NAN },
  { "cylindra-microtubule-tomograms", "beta-tubulin.mrc", 20, 20, 20, 0.5144, 0.5144, 0.5144, NAN, NAN, NAN },
  { "mrcfile-testdata", "EMD-3197.map", 20, 20, 20, 1.14, 1.14, 1.14, -4.1337457, 5.576737, 0.783612 },
  { "mrcfile-testdata", "emd_3197.map.gz", 20, 20, 20, 1.14, 1.14, 1.14, -4.1337457, 5.576737, 0.783612 },
  /* Stored 73 × 43 × 25 with axis order z, x, y → x, y, z = 43 × 25 × 73. */
  { "mrcfile-testdata", "EMD-3001.map", 43, 25, 73, 1.793 / 40, 0.471 / 12, 3.303 / 72, -0.36814296, 0.72161025, 0.0005329667 },
  { "mrcfile-testdata", "emd_3001.map.gz", 43, 25, 73, 1.793 / 40, 0.471 / 12, 3.303 / 72, -0.36814296, 0.72161025, NAN },
  /* gemmi: stored 8 × 6 × 10 with MAPC/R/S 2 1 3 → x, y, z = 6 × 8 × 10. */
  { "gemmi-ccp4-maps", "5i55_tiny.ccp4", 6, 8, 10, 2.945 / 60, 1.05 / 24, 2.97 / 60, NAN, NAN, NAN },
  /* stored 1 × 2 × 4, MAPC/R/S 2 3 1 → x, y, z = 4 × 1 × 2; cell/grid 150/5, 132/6, 140/7 Å. */
  { "gemmi-ccp4-maps", "iota_yzx.ccp4.gz", 4, 1, 2, 3.0, 2.2, 2.0, NAN, NAN, NAN },
  { "rosettasciio-mrc-tiff/mrc", "HAADFscan.mrc", 16, 16, 1, 5.679131317138672, 5.679131317138672, 5.679131317138672, NAN, NAN, NAN },
  { "rosettasciio-mrc-tiff/mrc", "20241021_00405_movie.mrc", 8, 4, 32, 1.0, 1.0, 1.0, NAN, NAN, NAN },
  { "rosettasciio-mrc-tiff/tiff", "test_loading_image_saved_with_imageJ.tif", 68, 68, 1, 168.67, 168.67, 168.67, NAN, NAN, NAN },
  { "rosettasciio-mrc-tiff/tiff", "test_loading_image_saved_with_imageJ_stack.tif", 68, 68, 2, 168.67, 168.67, 2500, NAN, NAN, NAN },
  { "rosettasciio-mrc-tiff/tiff", "test_loading_image_saved_with_imageJ_stack_no_scale.tif", 68, 68, 2, 0, 0, 0, NAN, NAN, NAN },
  { "rosettasciio-mrc-tiff/tiff", "test_loading_image_saved_with_DM.tif", 68, 68, 1, 0, 0, 0, NAN, NAN, NAN },
  { "rosettasciio-mrc-tiff/tiff", "test_loading_image_saved_with_DM_stack.tif", 68, 68, 2, 0, 0, 0, NAN, NAN, NAN },
  { "etspy-haadf-tilt-series", "HAADF.dm3", 64, 64, 91, 17.994916, 17.994916, 17.994916, 513, 39459, 4668.9 },
  { "etspy-haadf-tilt-series", "HAADF_tiltseries.tif", 64, 64, 91, 17.994916, 17.994916, 17.994916, 513, 39459, 4668.9 },
};

static void
test_real_file (gconstpointer data)
{
  const RealFile *rf = data;
  g_autofree char *path = ps_test_shared_path (rf->dir, rf->file, NULL);
  SKIP_WITHOUT (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(PsFileInfo) info = NULL;
  g_autoptr(PsVolume) v = ps_volume_load (path, &info, NULL, &error);
  PsStats st;

  g_assert_no_error (error);
  g_assert_cmpuint (v->nx, ==, rf->nx);
  g_assert_cmpuint (v->ny, ==, rf->ny);
  g_assert_cmpuint (v->nz, ==, rf->nz);
  if (rf->dx > 0)
    assert_spacing (v, rf->dx, rf->dy, rf->dz, 1e-4);
  else
    g_assert_false (v->spacing_known);
  ps_stats_volume (v, NULL, &st);
  g_assert_cmpuint (st.n_nonfinite, ==, 0);
  if (!isnan (rf->min))
    {
      g_assert_cmpfloat_with_epsilon (st.min, rf->min, fabs (rf->min) * 1e-6 + 1e-9);
      g_assert_cmpfloat_with_epsilon (st.max, rf->max, fabs (rf->max) * 1e-6 + 1e-9);
    }
  if (!isnan (rf->mean))
    g_assert_cmpfloat_with_epsilon (st.mean, rf->mean, fabs (rf->mean) * 1e-4 + 1e-6);
}

/* The DM3 and the TIFF hold the same 91 × 64 × 64 pixels; the DM3 also
 * carries the angles. */
static void
test_real_dm3_vs_tiff (void)
{
  g_autofree char *dm = ps_test_shared_path ("etspy-haadf-tilt-series", "HAADF.dm3", NULL);
  g_autofree char *tif = ps_test_shared_path ("etspy-haadf-tilt-series", "HAADF_tiltseries.tif", NULL);
  g_autofree char *tlt = ps_test_shared_path ("etspy-haadf-tilt-series", "HAADF.tlt", NULL);
  SKIP_WITHOUT (dm);
  g_autoptr(GError) error = NULL;
  g_autoptr(PsTiltSeries) a = ps_tilt_series_load (dm, NULL, NULL, &error);
  g_assert_no_error (error);
  g_autoptr(PsTiltSeries) b = ps_tilt_series_load (tif, tlt, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a->n, ==, 91);
  g_assert_cmpmem (a->data, 64 * 64 * 91 * 4, b->data, 64 * 64 * 91 * 4);
  for (int i = 0; i < 91; i++)
    {
      g_assert_cmpfloat_with_epsilon (a->angles[i], -90.0 + 2.0 * i, 1e-9);
      g_assert_cmpfloat_with_epsilon (b->angles[i], -90.0 + 2.0 * i, 1e-9);
    }
  g_assert_cmpfloat_with_epsilon (a->pixel_size[0], 17.994916, 1e-4);
  /* The .rawtlt belongs to another acquisition: 77 angles for 91 images. */
  g_autofree char *raw = ps_test_shared_path ("etspy-haadf-tilt-series", "HAADF.rawtlt", NULL);
  g_autoptr(PsTiltSeries) c = ps_tilt_series_load (tif, raw, NULL, &error);
  g_assert_null (c);
  g_assert_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER);
  g_assert_nonnull (strstr (error->message, "91 images"));
  g_assert_nonnull (strstr (error->message, "77 angles"));
}

static void
test_real_cylinder_photometric (void)
{
  /* Pages alternate MinIsBlack / MinIsWhite over identical stored values
   * (tifffile splits the file into two series). MinIsWhite is a display
   * hint: the numbers are kept, so the cylinder is the same on every page
   * — as tifffile's and ImageJ's pixel values are. */
  g_autofree char *path = ps_test_shared_path ("puma-fiberform", "100_cylinder_r40.tif", NULL);
  SKIP_WITHOUT (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) v = ps_volume_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  /* Centre voxel of every page equals the first page's. */
  float c0 = ps_volume_get (v, 50, 50, 0), e0 = ps_volume_get (v, 0, 0, 0);
  g_assert_cmpfloat (c0, !=, e0);
  for (gsize z = 0; z < v->nz; z++)
    {
      g_assert_cmpfloat (ps_volume_get (v, 50, 50, z), ==, c0);
      g_assert_cmpfloat (ps_volume_get (v, 0, 0, z), ==, e0);
    }
}

/* ---- angles ------------------------------------------------------------------- */

static void
test_angles (void)
{
  g_autoptr(GError) error = NULL;
  gsize n;
  g_autofree double *r = ps_angles_from_range ("-75:75:2", &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 76);
  g_assert_cmpfloat (r[0], ==, -75);
  g_assert_cmpfloat (r[75], ==, 75);
  g_autofree double *r2 = ps_angles_from_range ("60:-60:-3", &n, &error);
  g_assert_cmpuint (n, ==, 41);
  g_assert_null (ps_angles_from_range ("-60:60:-2", &n, &error));
  g_assert_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER);
  g_clear_error (&error);
  g_assert_null (ps_angles_from_range ("-60:60:0", &n, &error));
  g_clear_error (&error);
  g_assert_null (ps_angles_from_range ("-100:60:2", &n, &error));
  g_clear_error (&error);
  g_assert_null (ps_angles_from_range ("a:b:c", &n, &error));
  g_clear_error (&error);

  const char *tlt = " -60.00\r\n\r\n-58.5\n  0 \n60";
  g_autofree double *t = ps_angles_parse (tlt, strlen (tlt), "x.tlt", &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpfloat (t[1], ==, -58.5);
  const char *bad[] = { "1\n2\nthree\n", "1\n2,5\n", "nan\n", "91\n", "", "1\0002\n" };
  const gsize bad_len[] = { 10, 5, 4, 3, 0, 4 };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_null (ps_angles_parse (bad[i], bad_len[i], "bad.tlt", &n, &error));
      g_assert_nonnull (error);
      g_assert_true (g_str_has_prefix (error->message, "bad.tlt"));
      g_clear_error (&error);
    }
  /* Save + load round trip, locale-independent. */
  g_autofree char *path = ps_test_tmp_path ("a.tlt");
  double a[3] = { -60.25, 0, 61.5 };
  g_assert_true (ps_angles_save (path, a, 3, &error));
  g_autofree double *b = ps_angles_from_spec (path, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpfloat (b[0], ==, -60.25);
  g_assert_null (ps_angles_from_spec ("/nonexistent/angles.tlt", &n, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
test_tilt_series_checks (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) v = random_volume (8, 8, 5, 0, 1, FALSE, 9);
  g_autofree char *path = ps_test_tmp_path ("ts.mrc");
  g_autofree char *tlt = ps_test_tmp_path ("dup.tlt");
  g_assert_true (ps_volume_save (v, path, NULL, NULL, &error));
  /* count mismatch */
  g_assert_null (ps_tilt_series_load (path, "-60:60:2", NULL, &error));
  g_assert_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER);
  g_clear_error (&error);
  /* duplicated angle */
  g_assert_true (g_file_set_contents (tlt, "-4\n-2\n-2\n0\n2\n", -1, NULL));
  g_assert_null (ps_tilt_series_load (path, tlt, NULL, &error));
  g_assert_nonnull (strstr (error->message, "duplicated"));
  g_clear_error (&error);
  /* no angles at all */
  g_assert_null (ps_tilt_series_load (path, NULL, NULL, &error));
  g_assert_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER);
  g_clear_error (&error);
  g_autoptr(PsTiltSeries) ts = ps_tilt_series_load (path, "-4:4:2", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (ts->angles[4], ==, 4);
  /* save → load */
  g_autofree char *out = ps_test_tmp_path ("ts-out.tif");
  g_autofree char *outtlt = ps_test_tmp_path ("ts-out.tlt");
  g_assert_true (ps_tilt_series_save (ts, out, outtlt, &error));
  g_autoptr(PsTiltSeries) back = ps_tilt_series_load (out, outtlt, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (back->data, 8 * 8 * 5 * 4, ts->data, 8 * 8 * 5 * 4);
}

/* ---- atomic writes ------------------------------------------------------------ */

static void
assert_no_part_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    g_assert_null (strstr (name, ".part-"));
}

static void
test_atomic_dev_full (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) v = random_volume (64, 64, 8, 0, 1, FALSE, 2);
  if (!g_file_test ("/dev/full", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no /dev/full");
      return;
    }
  /* /dev/full looks like a name with no extension: give the format. */
  g_assert_false (ps_tiff_save (v, "/dev/full", NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_nonnull (strstr (error->message, "/dev/full"));
  g_clear_error (&error);
  g_assert_false (ps_mrc_save (v, "/dev/full", NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_clear_error (&error);
  g_assert_false (ps_write_file_atomic ("/dev/full", "abc", 3, &error));
  g_assert_nonnull (error);
  /* The device node is still a device. */
  struct stat st;
  g_assert_cmpint (stat ("/dev/full", &st), ==, 0);
  g_assert_true (S_ISCHR (st.st_mode));
}

static void
test_atomic_readonly_and_missing (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) v = random_volume (4, 4, 2, 0, 1, FALSE, 2);
  g_autofree char *ro = ps_test_tmp_path ("readonly");
  g_autofree char *target = NULL;
  g_assert_cmpint (g_mkdir (ro, 0555), ==, 0);
  target = g_build_filename (ro, "out.tif", NULL);
  if (geteuid () == 0)
    {
      /* root ignores mode bits; /sys refuses new files even to root. */
      g_free (target);
      target = g_strdup ("/sys/porescope-test-out.tif");
    }
  g_assert_false (ps_volume_save (v, target, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, target));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_chmod (ro, 0755);

  g_autofree char *missing = ps_test_tmp_path ("no/such/folder/out.mrc");
  g_assert_false (ps_volume_save (v, missing, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "does not exist"));
}

static void
cancel_now (double fraction, const char *message, void *user_data)
{
  atomic_store ((atomic_int *) user_data, 1);
}

static void
test_atomic_old_file_intact (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) a = random_volume (16, 16, 6, 0, 1, FALSE, 4);
  g_autoptr(PsVolume) b = random_volume (16, 16, 6, 5, 6, FALSE, 5);
  g_autofree char *path = ps_test_tmp_path ("keep.tif");
  g_autofree char *mpath = ps_test_tmp_path ("keep.mrc");
  atomic_int cancel = 0;
  PsProgress progress = { cancel_now, &cancel, &cancel, 0, 0 };

  g_assert_true (ps_volume_save (a, path, NULL, NULL, &error));
  g_assert_true (ps_volume_save (a, mpath, NULL, NULL, &error));
  /* A write cancelled after its first page leaves the old files. */
  g_assert_false (ps_volume_save (b, path, NULL, &progress, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  atomic_store (&cancel, 0);
  g_assert_false (ps_volume_save (b, mpath, NULL, &progress, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  for (const char *const *p = (const char *const[]) { path, mpath, NULL }; *p; p++)
    {
      g_autoptr(PsVolume) back = ps_volume_load (*p, NULL, NULL, &error);
      g_assert_no_error (error);
      assert_same_volume (a, back, 0);
    }
  assert_no_part_files (ps_test_tmpdir ());
  /* A refused type leaves it too. */
  PsSaveOptions u8 = { PS_DTYPE_U8, TRUE, FALSE };
  g_assert_false (ps_volume_save (b, mpath, &u8, NULL, &error));
  g_assert_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER);
}

static void
test_memory_budget (void)
{
  /* A file bigger than the budget that would need converting (16-bit) is
   * refused with the need in the message. */
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) v = random_volume (64, 64, 64, 0, 1000, TRUE, 2);
  g_autofree char *path = ps_test_tmp_path ("budget.mrc");
  PsSaveOptions u16 = { PS_DTYPE_U16, TRUE, FALSE };
  size_t old = ps_memory_get_limit ();
  g_assert_true (ps_volume_save (v, path, &u16, NULL, &error));
  g_assert_no_error (error);
  ps_memory_set_limit (256 * 1024);
  g_assert_null (ps_volume_load (path, NULL, NULL, &error));
  ps_memory_set_limit (old);
  g_assert_error (error, PS_ERROR, PS_ERROR_CODE_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "1.0 MiB"));
  g_assert_nonnull (strstr (error->message, "crop"));
}

/* A float32 MRC larger than the budget opens read-only from the file
 * (mmap): the same voxels and voxel size as a normal load, a note saying
 * so, and a gzip copy of it (which cannot be mapped) is refused. */
static void
test_memory_budget_mapped (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) v = random_volume (64, 48, 40, -5, 5, FALSE, 3);
  g_autoptr(PsVolume) normal = NULL, mapped = NULL;
  g_autoptr(PsFileInfo) info = NULL;
  g_autofree char *path = ps_test_tmp_path ("mapped.mrc");
  g_autofree char *contents = NULL;
  g_autofree char *gz_path = ps_test_tmp_path ("mapped.mrc.gz");
  size_t old = ps_memory_get_limit ();
  gsize len;

  ps_volume_set_spacing (v, 0.25, 0.5, 0.75);
  g_assert_true (ps_volume_save (v, path, NULL, NULL, &error));
  g_assert_no_error (error);
  normal = ps_volume_load (path, NULL, NULL, &error);
  g_assert_no_error (error);

  ps_memory_set_limit (64 * 1024);
  mapped = ps_volume_load (path, &info, NULL, &error);
  ps_memory_set_limit (old);
  g_assert_no_error (error);
  g_assert_nonnull (mapped);
  g_assert_true (info->mapped);
  g_assert_cmpuint (mapped->nx, ==, 64);
  g_assert_cmpuint (mapped->ny, ==, 48);
  g_assert_cmpuint (mapped->nz, ==, 40);
  g_assert_cmpfloat_with_epsilon (mapped->spacing[2], 0.75, 1e-6);
  g_assert_cmpmem (mapped->data, ps_volume_n_voxels (mapped) * sizeof (float), normal->data,
                   ps_volume_n_voxels (normal) * sizeof (float));
  g_assert_cmpuint ((guintptr) mapped->data % 64, ==, 0);
  {
    gboolean noted = FALSE;
    for (guint i = 0; i < info->notes->len; i++)
      noted |= strstr (g_ptr_array_index (info->notes, i), "memory-mapped") != NULL;
    g_assert_true (noted);
  }
  /* Private mapping: a kernel writing into it never reaches the file. */
  mapped->data[0] = 12345.0f;
  g_clear_pointer (&mapped, ps_volume_unref);
  g_clear_pointer (&normal, ps_volume_unref);
  normal = ps_volume_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (normal->data[0], ==, v->data[0]);

  /* Compressed: nothing to map, so the budget refuses it. */
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  {
    gzFile gz = gzopen (gz_path, "wb");
    g_assert_nonnull (gz);
    g_assert_cmpint (gzwrite (gz, contents, (unsigned) len), ==, (int) len);
    gzclose (gz);
  }
  ps_memory_set_limit (64 * 1024);
  g_assert_null (ps_volume_load (gz_path, NULL, NULL, &error));
  ps_memory_set_limit (old);
  g_assert_error (error, PS_ERROR, PS_ERROR_CODE_TOO_LARGE);
}

int
main (int argc, char **argv)
{
  static const RoundTrip trips[] = {
    { "rt-f32.tif", PS_DTYPE_F32, -1e3, 1e3, FALSE, 0 },
    { "rt-u16.tif", PS_DTYPE_U16, 0, 65535, TRUE, 0 },
    { "rt-u8.tif", PS_DTYPE_U8, 0, 255, TRUE, 0 },
    { "rt-i16.tif", PS_DTYPE_I16, -32768, 32767, TRUE, 0 },
    { "rt-u32.tif", PS_DTYPE_U32, 0, 16777215, TRUE, 0 },
    { "rt-f32.mrc", PS_DTYPE_F32, -1e3, 1e3, FALSE, 0 },
    { "rt-i16.mrc", PS_DTYPE_I16, -32768, 32767, TRUE, 0 },
    { "rt-u16.mrc", PS_DTYPE_U16, 0, 65535, TRUE, 0 },
    { "rt-f16.mrc", PS_DTYPE_F16, -2, 2, FALSE, 1e-3 },
    { "rt-f32.rec", PS_DTYPE_F32, 0, 1, FALSE, 0 },
  };

  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (trips); i++)
    {
      g_autofree char *name = g_strdup_printf ("/io/round-trip/%s", trips[i].ext);
      g_test_add_data_func (name, &trips[i], test_round_trip);
    }
  g_test_add_func ("/io/round-trip/labels-u32", test_round_trip_labels);
  g_test_add_func ("/io/round-trip/rescale", test_rescale);
  g_test_add_func ("/io/peers/labels-tifffile", test_labels_tifffile);
  g_test_add_func ("/io/round-trip/unknown-spacing", test_unknown_spacing);
  g_test_add_func ("/io/mrc/byte-order", test_mrc_byte_order);
  g_test_add_func ("/io/mrc/mode0-signedness", test_mrc_mode0);
  g_test_add_func ("/io/mrc/truncated", test_mrc_truncated);
  g_test_add_func ("/io/mrc/absurd-header", test_mrc_absurd);
  g_test_add_func ("/io/mrc/gzip", test_mrc_gzip);
  g_test_add_func ("/io/mrc/png-renamed", test_png_renamed);
  g_test_add_func ("/io/tiff/imagej-large-layout", test_tiff_imagej_large_layout);
  g_test_add_func ("/io/tiff/inconsistent-pages", test_tiff_inconsistent);
  g_test_add_func ("/io/tiff/multichannel", test_tiff_multichannel);
  g_test_add_func ("/io/tiff/malformed-130", test_tiff_malformed);
  g_test_add_func ("/io/tiff/libtiff-test-images", test_tiff_libtiff_images);
  g_test_add_func ("/io/tiff/bit-depths", test_tiff_bit_depths);
  for (gsize i = 0; i < G_N_ELEMENTS (real_files); i++)
    {
      g_autofree char *name = g_strdup_printf ("/io/real/%s", real_files[i].file);
      g_test_add_data_func (name, &real_files[i], test_real_file);
    }
  g_test_add_func ("/io/real/dm3-vs-tiff", test_real_dm3_vs_tiff);
  g_test_add_func ("/io/real/per-page-photometric", test_real_cylinder_photometric);
  g_test_add_func ("/io/angles/parse", test_angles);
  g_test_add_func ("/io/tilt-series/checks", test_tilt_series_checks);
  g_test_add_func ("/io/atomic/dev-full", test_atomic_dev_full);
  g_test_add_func ("/io/atomic/readonly-and-missing", test_atomic_readonly_and_missing);
  g_test_add_func ("/io/atomic/old-file-intact", test_atomic_old_file_intact);
  g_test_add_func ("/io/memory-budget", test_memory_budget);
  g_test_add_func ("/io/memory-budget/mapped", test_memory_budget_mapped);
  return g_test_run ();
}
