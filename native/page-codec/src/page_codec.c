/* Page compression with the libraries makedumpfile links: the system's libz (compress2), liblzo2
 * (lzo1x_1_compress), libsnappy (its C API) and libzstd (ZSTD_compressCCtx), a whole batch of pages per call
 * so that crossing into C is paid once per batch, not once per page.
 *
 * The libraries are opened at run time, so building needs none of their headers and a missing one only
 * takes its method away. RTLD_DEEPBIND: Node exports zlib symbols of its own, which would otherwise stand
 * in for libz's internal calls. Per-thread state (LZO's work memory, zstd's context) lives in the addon's
 * instance data: each worker thread has its own. */
#include <dlfcn.h>
#include <node_api.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum { ZLIB, LZO, SNAPPY, ZSTD, METHODS };
static const char *const method_names[METHODS] = {"zlib", "lzo", "snappy", "zstd"};

typedef int (*compress2_fn)(unsigned char *, unsigned long *, const unsigned char *, unsigned long, int);
typedef const char *(*zlib_version_fn)(void);
typedef int (*lzo1x_1_compress_fn)(const unsigned char *, unsigned long, unsigned char *, unsigned long *, void *);
typedef const char *(*lzo_version_fn)(void);
typedef int (*snappy_compress_fn)(const char *, size_t, char *, size_t *);
typedef void *(*zstd_create_fn)(void);
typedef size_t (*zstd_free_fn)(void *);
typedef size_t (*zstd_compress_fn)(void *, void *, size_t, const void *, size_t, int);
typedef unsigned (*zstd_is_error_fn)(size_t);
typedef const char *(*zstd_version_fn)(void);

static struct {
  compress2_fn compress2;
  zlib_version_fn zlib_version;
  lzo1x_1_compress_fn lzo1x_1_compress;
  lzo_version_fn lzo_version;
  snappy_compress_fn snappy_compress;
  zstd_create_fn zstd_create;
  zstd_free_fn zstd_free;
  zstd_compress_fn zstd_compress;
  zstd_is_error_fn zstd_is_error;
  zstd_version_fn zstd_version;
} lib;

/* LZO1X_1_MEM_COMPRESS is 16384 dictionary entries of at most a pointer each. */
#define LZO_WORK_MEMORY (16384 * sizeof(void *))

struct thread_state {
  void *lzo_work;
  void *zstd_cctx;
  unsigned char *scratch;
  size_t scratch_len;
};

static void *symbol(const char *file, const char *name) {
  void *h = dlopen(file, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  return h ? dlsym(h, name) : NULL;
}

static void load_libraries(void) {
  lib.compress2 = (compress2_fn)symbol("libz.so.1", "compress2");
  lib.zlib_version = (zlib_version_fn)symbol("libz.so.1", "zlibVersion");
  lib.lzo1x_1_compress = (lzo1x_1_compress_fn)symbol("liblzo2.so.2", "lzo1x_1_compress");
  lib.lzo_version = (lzo_version_fn)symbol("liblzo2.so.2", "lzo_version_string");
  lib.snappy_compress = (snappy_compress_fn)symbol("libsnappy.so.1", "snappy_compress");
  lib.zstd_create = (zstd_create_fn)symbol("libzstd.so.1", "ZSTD_createCCtx");
  lib.zstd_free = (zstd_free_fn)symbol("libzstd.so.1", "ZSTD_freeCCtx");
  lib.zstd_compress = (zstd_compress_fn)symbol("libzstd.so.1", "ZSTD_compressCCtx");
  lib.zstd_is_error = (zstd_is_error_fn)symbol("libzstd.so.1", "ZSTD_isError");
  lib.zstd_version = (zstd_version_fn)symbol("libzstd.so.1", "ZSTD_versionString");
}

static int available(int method) {
  switch (method) {
    case ZLIB: return lib.compress2 != NULL;
    case LZO: return lib.lzo1x_1_compress != NULL;
    case SNAPPY: return lib.snappy_compress != NULL;
    case ZSTD: return lib.zstd_create && lib.zstd_free && lib.zstd_compress && lib.zstd_is_error;
  }
  return 0;
}

/* An upper bound of each method's output for n input bytes (zlib's compressBound, LZO's documented worst
 * case, snappy's 32 + n + n/6, ZSTD_COMPRESSBOUND), rounded up. */
static size_t output_bound(size_t n) { return n + n / 6 + 128; }

/* Compress one page into dst (room for output_bound(n) bytes): its length, or 0 on failure. */
static size_t compress_one(struct thread_state *st, int method, const unsigned char *src, size_t n, unsigned char *dst) {
  size_t room = output_bound(n);
  switch (method) {
    case ZLIB: {
      unsigned long len = room;
      return lib.compress2(dst, &len, src, n, 1) == 0 ? len : 0; /* Z_BEST_SPEED, as makedumpfile */
    }
    case LZO: {
      unsigned long len = room;
      return lib.lzo1x_1_compress(src, n, dst, &len, st->lzo_work) == 0 ? len : 0;
    }
    case SNAPPY: {
      size_t len = room;
      return lib.snappy_compress((const char *)src, n, (char *)dst, &len) == 0 ? len : 0;
    }
    case ZSTD: {
      size_t len = lib.zstd_compress(st->zstd_cctx, dst, room, src, n, 1);
      return lib.zstd_is_error(len) ? 0 : len;
    }
  }
  return 0;
}

static void free_state(napi_env env, void *data, void *hint) {
  struct thread_state *st = data;
  (void)env, (void)hint;
  if (st->zstd_cctx) lib.zstd_free(st->zstd_cctx);
  free(st->lzo_work);
  free(st->scratch);
  free(st);
}

static int method_of(napi_env env, napi_value v) {
  char name[16];
  size_t len;
  if (napi_get_value_string_utf8(env, v, name, sizeof name, &len) != napi_ok) return -1;
  for (int m = 0; m < METHODS; m++)
    if (strcmp(name, method_names[m]) == 0) return m;
  return -1;
}

/* compressPages(method, pages, count, pageSize, out, sizes) -> bytes written to out.
 * Page i is pages[i*pageSize ..]. Appended to out: its compressed form when smaller than the page (sizes[i]
 * is its length), else the page itself (sizes[i] = -1: stored raw). out needs count * pageSize bytes. */
static napi_value CompressPages(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6], result;
  void *pages, *out, *sizes_data;
  size_t pages_len, out_len, sizes_len;
  uint32_t count, page_size;
  napi_typedarray_type sizes_type;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int method = argc == 6 ? method_of(env, argv[0]) : -1;
  if (method < 0 || napi_get_buffer_info(env, argv[1], &pages, &pages_len) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &count) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &page_size) != napi_ok ||
      napi_get_buffer_info(env, argv[4], &out, &out_len) != napi_ok ||
      napi_get_typedarray_info(env, argv[5], &sizes_type, &sizes_len, &sizes_data, NULL, NULL) != napi_ok ||
      sizes_type != napi_int32_array) {
    napi_throw_type_error(env, NULL,
                          "compressPages(method: 'zlib'|'lzo'|'snappy'|'zstd', pages: Buffer, count: number, "
                          "pageSize: number, out: Buffer, sizes: Int32Array)");
    return NULL;
  }
  if (page_size == 0 || (size_t)count * page_size > pages_len || (size_t)count * page_size > out_len ||
      count > sizes_len) {
    napi_throw_range_error(env, NULL, "compressPages: the buffers are smaller than count pages");
    return NULL;
  }
  if (!available(method)) {
    napi_throw_error(env, NULL, "compressPages: the system library for this method could not be loaded");
    return NULL;
  }
  struct thread_state *st;
  napi_get_instance_data(env, (void **)&st);
  size_t bound = output_bound(page_size);
  if (st->scratch_len < bound) {
    free(st->scratch);
    st->scratch = malloc(bound);
    st->scratch_len = st->scratch ? bound : 0;
  }
  if (method == LZO && !st->lzo_work) st->lzo_work = malloc(LZO_WORK_MEMORY);
  if (method == ZSTD && !st->zstd_cctx) st->zstd_cctx = lib.zstd_create();
  if (!st->scratch || (method == LZO && !st->lzo_work) || (method == ZSTD && !st->zstd_cctx)) {
    napi_throw_error(env, NULL, "compressPages: out of memory");
    return NULL;
  }

  int32_t *sizes = sizes_data;
  size_t at = 0;
  for (uint32_t i = 0; i < count; i++) {
    const unsigned char *page = (const unsigned char *)pages + (size_t)i * page_size;
    /* Straight into out while a worst case still fits there; the last few pages go through scratch. */
    int direct = out_len - at >= bound;
    unsigned char *dst = direct ? (unsigned char *)out + at : st->scratch;
    size_t len = compress_one(st, method, page, page_size, dst);
    if (len == 0) {
      napi_throw_error(env, NULL, "compressPages: the library failed to compress a page");
      return NULL;
    }
    if (len < page_size) {
      if (!direct) memcpy((unsigned char *)out + at, dst, len);
      sizes[i] = (int32_t)len;
      at += len;
    } else {
      memcpy((unsigned char *)out + at, page, page_size);
      sizes[i] = -1;
      at += page_size;
    }
  }
  napi_create_double(env, (double)at, &result);
  return result;
}

/* methods() -> { zlib: "1.2.13", lzo: ..., ... }: each library loaded, by its version (or "" without one). */
static napi_value Methods(napi_env env, napi_callback_info info) {
  napi_value obj, v;
  const char *versions[METHODS] = {
      lib.zlib_version ? lib.zlib_version() : "",
      lib.lzo_version ? lib.lzo_version() : "",
      "",
      lib.zstd_version ? lib.zstd_version() : "",
  };
  (void)info;
  napi_create_object(env, &obj);
  for (int m = 0; m < METHODS; m++) {
    if (!available(m)) continue;
    napi_create_string_utf8(env, versions[m], NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, obj, method_names[m], v);
  }
  return obj;
}

static pthread_once_t loaded = PTHREAD_ONCE_INIT;

NAPI_MODULE_INIT() {
  pthread_once(&loaded, load_libraries); /* once per process: worker threads initialise the addon too */
  struct thread_state *st = calloc(1, sizeof *st);
  if (!st || napi_set_instance_data(env, st, free_state, NULL) != napi_ok) {
    napi_throw_error(env, NULL, "page-codec: out of memory");
    return NULL;
  }
  napi_value fn;
  napi_create_function(env, "compressPages", NAPI_AUTO_LENGTH, CompressPages, NULL, &fn);
  napi_set_named_property(env, exports, "compressPages", fn);
  napi_create_function(env, "methods", NAPI_AUTO_LENGTH, Methods, NULL, &fn);
  napi_set_named_property(env, exports, "methods", fn);
  return exports;
}
