/* Page compression with the libraries makedumpfile links: the system's libz (compress2), liblzo2
 * (lzo1x_1_compress), libsnappy (its C API) and libzstd (ZSTD_compressCCtx), a whole batch of pages per call
 * so that crossing into C is paid once per batch, not once per page.
 *
 * The libraries are opened at run time, so building needs none of their headers and a missing one only
 * takes its method away. RTLD_DEEPBIND: Node exports zlib symbols of its own, which would otherwise stand
 * in for libz's internal calls. A batch compresses on the calling thread (compressPages) or on one of the
 * addon's compression threads (compressPagesAsync: makedumpfile's --num-threads without a JS thread to boot).
 * Per-thread state (LZO's work memory, zstd's context) lives in the addon's instance data for JS threads and
 * on the stack of each compression thread. A batch may also be read by its compression thread straight from
 * the dump file (compressFilePagesAsync): reading then runs on the threads too, not on the one JS thread. */
#include <dlfcn.h>
#include <errno.h>
#include <node_api.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
  /* For a JS thread: how its batches come back from the compression threads, and how many are out. */
  napi_threadsafe_function done;
  size_t pending;
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

/* Compress count pages of page_size bytes laid end to end in pages, into out (out_len >= count * page_size):
 * each page's compressed form where it shrinks (sizes[i] is its length), else the page itself (sizes[i] = -1:
 * stored raw). NULL and the bytes written, or what went wrong. Touches no JS value: runs on any thread. */
static const char *compress_batch(struct thread_state *st, int method, const void *pages, uint32_t count,
                                  uint32_t page_size, void *out, size_t out_len, int32_t *sizes,
                                  size_t *written) {
  size_t bound = output_bound(page_size);
  if (st->scratch_len < bound) {
    free(st->scratch);
    st->scratch = malloc(bound);
    st->scratch_len = st->scratch ? bound : 0;
  }
  if (method == LZO && !st->lzo_work) st->lzo_work = malloc(LZO_WORK_MEMORY);
  if (method == ZSTD && !st->zstd_cctx) st->zstd_cctx = lib.zstd_create();
  if (!st->scratch || (method == LZO && !st->lzo_work) || (method == ZSTD && !st->zstd_cctx))
    return "compressPages: out of memory";
  size_t at = 0;
  for (uint32_t i = 0; i < count; i++) {
    const unsigned char *page = (const unsigned char *)pages + (size_t)i * page_size;
    /* Straight into out while a worst case still fits there; the last few pages go through scratch. */
    int direct = out_len - at >= bound;
    unsigned char *dst = direct ? (unsigned char *)out + at : st->scratch;
    size_t len = compress_one(st, method, page, page_size, dst);
    if (len == 0) return "compressPages: the library failed to compress a page";
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
  *written = at;
  return NULL;
}

/* A file batch's page flags. */
enum { PAGE_ZERO = 1, PAGE_UNREADABLE = 2 };

static int all_zero(const unsigned char *p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8); /* one load: the buffer need not be aligned */
    if (w) return 0;
  }
  for (; i < n; i++)
    if (p[i]) return 0;
  return 1;
}

/* Read count pages at byte offsets[i] of fd into pages, end to end, one pread per run of adjacent pages. A
 * page not read whole is zero-filled and flagged PAGE_UNREADABLE; with drop_zero, pages of zeros are flagged
 * PAGE_ZERO and the others closed up at the front. Returns how many pages are left there to compress. */
static uint32_t read_file_pages(int fd, const double *offsets, uint32_t count, uint32_t page_size,
                                unsigned char *pages, uint8_t *flags, int drop_zero) {
  for (uint32_t i = 0; i < count;) {
    uint32_t j = i + 1;
    while (j < count && offsets[j] == offsets[j - 1] + page_size) j++;
    size_t want = (size_t)(j - i) * page_size, got = 0;
    while (got < want) {
      ssize_t n = pread(fd, pages + (size_t)i * page_size + got, want - got, (off_t)offsets[i] + (off_t)got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += (size_t)n;
    }
    for (uint32_t k = i; k < j; k++) {
      size_t end = (size_t)(k - i + 1) * page_size;
      flags[k] = 0;
      if (got < end) {
        memset(pages + (size_t)k * page_size, 0, page_size);
        flags[k] = PAGE_UNREADABLE;
      }
    }
    i = j;
  }
  if (!drop_zero) return count;
  uint32_t kept = 0;
  for (uint32_t i = 0; i < count; i++) {
    unsigned char *page = pages + (size_t)i * page_size;
    if (all_zero(page, page_size)) {
      flags[i] |= PAGE_ZERO;
      continue;
    }
    if (kept != i) memmove(pages + (size_t)kept * page_size, page, page_size);
    kept++;
  }
  return kept;
}

static void free_state(napi_env env, void *data, void *hint) {
  struct thread_state *st = data;
  (void)env, (void)hint;
  if (st->done) napi_release_threadsafe_function(st->done, napi_tsfn_abort);
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

/* A batch's arguments, checked. */
struct batch {
  int method;
  void *pages, *out;
  size_t out_len;
  uint32_t count, page_size;
  int32_t *sizes;
};

/* Read and check compressPages' six arguments into b; throws and returns 0 when they do not fit. */
static int batch_args(napi_env env, napi_callback_info info, napi_value argv[6], struct batch *b) {
  size_t argc = 6, pages_len, sizes_len;
  napi_typedarray_type sizes_type;
  void *sizes;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  b->method = argc >= 6 ? method_of(env, argv[0]) : -1;
  if (b->method < 0 || napi_get_buffer_info(env, argv[1], &b->pages, &pages_len) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &b->count) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &b->page_size) != napi_ok ||
      napi_get_buffer_info(env, argv[4], &b->out, &b->out_len) != napi_ok ||
      napi_get_typedarray_info(env, argv[5], &sizes_type, &sizes_len, &sizes, NULL, NULL) != napi_ok ||
      sizes_type != napi_int32_array) {
    napi_throw_type_error(env, NULL,
                          "compressPages(method: 'zlib'|'lzo'|'snappy'|'zstd', pages: Buffer, count: number, "
                          "pageSize: number, out: Buffer, sizes: Int32Array)");
    return 0;
  }
  b->sizes = sizes;
  if (b->page_size == 0 || (size_t)b->count * b->page_size > pages_len ||
      (size_t)b->count * b->page_size > b->out_len || b->count > sizes_len) {
    napi_throw_range_error(env, NULL, "compressPages: the buffers are smaller than count pages");
    return 0;
  }
  if (!available(b->method)) {
    napi_throw_error(env, NULL, "compressPages: the system library for this method could not be loaded");
    return 0;
  }
  return 1;
}

/* compressPages(method, pages, count, pageSize, out, sizes) -> bytes written to out, on the calling thread.
 * Page i is pages[i*pageSize ..]. Appended to out: its compressed form when smaller than the page (sizes[i]
 * is its length), else the page itself (sizes[i] = -1: stored raw). out needs count * pageSize bytes. */
static napi_value CompressPages(napi_env env, napi_callback_info info) {
  napi_value argv[6], result;
  struct batch b;
  if (!batch_args(env, info, argv, &b)) return NULL;
  struct thread_state *st;
  napi_get_instance_data(env, (void **)&st);
  size_t written;
  const char *error = compress_batch(st, b.method, b.pages, b.count, b.page_size, b.out, b.out_len, b.sizes, &written);
  if (error) {
    napi_throw_error(env, NULL, error);
    return NULL;
  }
  napi_create_double(env, (double)written, &result);
  return result;
}

/* Compression threads of kdx's own for compressPagesAsync (makedumpfile's --num-threads): libuv's pool is
 * sized once at start-up (4 unless UV_THREADPOOL_SIZE says otherwise) and shared with Node's file and DNS
 * work. Batches wait in one queue; the threads, started as many as asked for, live as long as the process.
 * A finished batch goes back to the JS thread that queued it through that thread's threadsafe function,
 * which keeps its event loop alive only while batches are out. A JS thread must not end with batches out
 * (kdx collect waits for every batch, failed or not): its threadsafe function goes with it. */
struct batch_job {
  struct batch b;
  /* A file batch (fd >= 0): its pages are read from fd at offsets[] first (see read_file_pages). */
  int fd;
  const double *offsets;
  uint8_t *flags;
  int drop_zero;
  napi_deferred deferred;
  napi_ref buffers[5]; /* pages, out, sizes (and offsets, flags): kept alive while a compression thread uses them */
  struct thread_state *owner; /* the queuing JS thread's state: read on that thread only */
  napi_threadsafe_function done;
  size_t written;
  const char *error;
  struct batch_job *next;
};

static struct {
  pthread_mutex_t lock;
  pthread_cond_t queued;
  struct batch_job *head, *tail;
  int threads;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0};

static void *compression_thread(void *arg) {
  struct thread_state st = {0};
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&pool.lock);
    while (!pool.head) pthread_cond_wait(&pool.queued, &pool.lock);
    struct batch_job *job = pool.head;
    pool.head = job->next;
    if (!pool.head) pool.tail = NULL;
    pthread_mutex_unlock(&pool.lock);
    struct batch *b = &job->b;
    if (job->fd >= 0)
      b->count = read_file_pages(job->fd, job->offsets, b->count, b->page_size, b->pages, job->flags, job->drop_zero);
    job->error = compress_batch(&st, b->method, b->pages, b->count, b->page_size, b->out, b->out_len, b->sizes, &job->written);
    napi_call_threadsafe_function(job->done, job, napi_tsfn_blocking);
  }
  return NULL;
}

/* Start threads until there are n; 0 when not even one could be started. */
static int start_threads(int n) {
  pthread_mutex_lock(&pool.lock);
  while (pool.threads < n) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int failed = pthread_create(&t, &attr, compression_thread, NULL);
    pthread_attr_destroy(&attr);
    if (failed) break;
    pool.threads++;
  }
  int ok = pool.threads > 0;
  pthread_mutex_unlock(&pool.lock);
  return ok;
}

/* On the JS thread that queued the batch: settle its promise. */
static void finish_batch_job(napi_env env, napi_value js_callback, void *context, void *data) {
  struct batch_job *job = data;
  (void)js_callback, (void)context;
  if (env) {
    napi_value v;
    if (job->error) {
      napi_value message;
      napi_create_string_utf8(env, job->error, NAPI_AUTO_LENGTH, &message);
      napi_create_error(env, NULL, message, &v);
      napi_reject_deferred(env, job->deferred, v);
    } else {
      napi_create_double(env, (double)job->written, &v);
      napi_resolve_deferred(env, job->deferred, v);
    }
    for (int i = 0; i < 5; i++)
      if (job->buffers[i]) napi_delete_reference(env, job->buffers[i]);
    if (--job->owner->pending == 0) napi_unref_threadsafe_function(env, job->owner->done);
  }
  free(job);
}

/* The calling JS thread's completion channel, and n compression threads: 0 (and a JS error) if not. */
static int prepare_threads(napi_env env, struct thread_state *st, int n) {
  if (!st->done) {
    napi_value name;
    napi_create_string_utf8(env, "page-codec", NAPI_AUTO_LENGTH, &name);
    if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, NULL, finish_batch_job, &st->done) !=
        napi_ok) {
      napi_throw_error(env, NULL, "compressPagesAsync: cannot create the completion channel");
      return 0;
    }
    napi_unref_threadsafe_function(env, st->done);
  }
  if (!start_threads(n)) {
    napi_throw_error(env, NULL, "compressPagesAsync: cannot start a compression thread");
    return 0;
  }
  return 1;
}

/* Queue a job (its buffers referenced) for the compression threads: the promise it will settle. */
static napi_value queue_job(napi_env env, struct thread_state *st, struct batch_job *job) {
  napi_value promise;
  job->owner = st;
  job->done = st->done;
  napi_create_promise(env, &job->deferred, &promise);
  if (st->pending++ == 0) napi_ref_threadsafe_function(env, st->done);
  pthread_mutex_lock(&pool.lock);
  if (pool.tail) pool.tail->next = job;
  else pool.head = job;
  pool.tail = job;
  pthread_cond_signal(&pool.queued);
  pthread_mutex_unlock(&pool.lock);
  return promise;
}

/* compressPagesAsync(...the same arguments, threads) -> Promise of the bytes written: the batch is compressed
 * on one of `threads` (at least; default 1) compression threads, so that several run at once. The buffers
 * must not be touched until the promise settles. */
static napi_value CompressPagesAsync(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  size_t argc = 7;
  uint32_t threads = 1;
  struct thread_state *st;
  napi_valuetype threads_type = napi_undefined;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc >= 7) napi_typeof(env, argv[6], &threads_type);
  if (threads_type != napi_undefined &&
      (napi_get_value_uint32(env, argv[6], &threads) != napi_ok || threads == 0 || threads > 1024)) {
    napi_throw_range_error(env, NULL, "compressPagesAsync: threads is 1 to 1024");
    return NULL;
  }
  struct batch_job *job = calloc(1, sizeof *job);
  if (!job) {
    napi_throw_error(env, NULL, "compressPages: out of memory");
    return NULL;
  }
  if (!batch_args(env, info, argv, &job->b)) {
    free(job);
    return NULL;
  }
  napi_get_instance_data(env, (void **)&st);
  if (!prepare_threads(env, st, (int)threads)) {
    free(job);
    return NULL;
  }
  job->fd = -1;
  napi_create_reference(env, argv[1], 1, &job->buffers[0]);
  napi_create_reference(env, argv[4], 1, &job->buffers[1]);
  napi_create_reference(env, argv[5], 1, &job->buffers[2]);
  return queue_job(env, st, job);
}

/* compressFilePagesAsync(method, fd, offsets, count, pageSize, pages, out, sizes, flags, dropZero, threads)
 * -> Promise of the bytes written: a compression thread reads page i from fd at byte offsets[i] into pages
 * (flags[i] |= 2 where it cannot: zeros stand in), with dropZero flags pages of zeros (flags[i] |= 1) and
 * leaves them out, then compresses the rest as compressPages does, sizes[] in their order. */
static napi_value CompressFilePagesAsync(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  size_t argc = 11, pages_len, offsets_len, sizes_len, flags_len;
  napi_typedarray_type offsets_type, sizes_type, flags_type;
  void *offsets, *sizes, *flags;
  int32_t fd;
  uint32_t threads;
  bool drop_zero;
  struct batch b;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  b.method = argc >= 11 ? method_of(env, argv[0]) : -1;
  if (b.method < 0 || napi_get_value_int32(env, argv[1], &fd) != napi_ok || fd < 0 ||
      napi_get_typedarray_info(env, argv[2], &offsets_type, &offsets_len, &offsets, NULL, NULL) != napi_ok ||
      offsets_type != napi_float64_array || napi_get_value_uint32(env, argv[3], &b.count) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &b.page_size) != napi_ok ||
      napi_get_buffer_info(env, argv[5], &b.pages, &pages_len) != napi_ok ||
      napi_get_buffer_info(env, argv[6], &b.out, &b.out_len) != napi_ok ||
      napi_get_typedarray_info(env, argv[7], &sizes_type, &sizes_len, &sizes, NULL, NULL) != napi_ok ||
      sizes_type != napi_int32_array ||
      napi_get_typedarray_info(env, argv[8], &flags_type, &flags_len, &flags, NULL, NULL) != napi_ok ||
      flags_type != napi_uint8_array || napi_get_value_bool(env, argv[9], &drop_zero) != napi_ok ||
      napi_get_value_uint32(env, argv[10], &threads) != napi_ok) {
    napi_throw_type_error(env, NULL,
                          "compressFilePagesAsync(method, fd: number, offsets: Float64Array, count, pageSize, "
                          "pages: Buffer, out: Buffer, sizes: Int32Array, flags: Uint8Array, dropZero: boolean, "
                          "threads: number)");
    return NULL;
  }
  b.sizes = sizes;
  size_t whole = (size_t)b.count * b.page_size;
  if (b.page_size == 0 || whole > pages_len || whole > b.out_len || b.count > sizes_len || b.count > offsets_len ||
      b.count > flags_len) {
    napi_throw_range_error(env, NULL, "compressFilePagesAsync: the buffers are smaller than count pages");
    return NULL;
  }
  for (uint32_t i = 0; i < b.count; i++) {
    double o = ((const double *)offsets)[i];
    if (!(o >= 0 && o <= 9007199254740991.0 && o == (double)(int64_t)o)) {
      napi_throw_range_error(env, NULL, "compressFilePagesAsync: a page offset is not a file position");
      return NULL;
    }
  }
  if (threads == 0 || threads > 1024) {
    napi_throw_range_error(env, NULL, "compressFilePagesAsync: threads is 1 to 1024");
    return NULL;
  }
  if (!available(b.method)) {
    napi_throw_error(env, NULL, "compressPages: the system library for this method could not be loaded");
    return NULL;
  }
  struct batch_job *job = calloc(1, sizeof *job);
  struct thread_state *st;
  if (!job) {
    napi_throw_error(env, NULL, "compressPages: out of memory");
    return NULL;
  }
  napi_get_instance_data(env, (void **)&st);
  if (!prepare_threads(env, st, (int)threads)) {
    free(job);
    return NULL;
  }
  job->b = b;
  job->fd = fd;
  job->offsets = offsets;
  job->flags = flags;
  job->drop_zero = drop_zero;
  napi_create_reference(env, argv[5], 1, &job->buffers[0]);
  napi_create_reference(env, argv[6], 1, &job->buffers[1]);
  napi_create_reference(env, argv[7], 1, &job->buffers[2]);
  napi_create_reference(env, argv[2], 1, &job->buffers[3]);
  napi_create_reference(env, argv[8], 1, &job->buffers[4]);
  return queue_job(env, st, job);
}

/* threadCount() -> how many compression threads are running. */
static napi_value ThreadCount(napi_env env, napi_callback_info info) {
  napi_value v;
  (void)info;
  pthread_mutex_lock(&pool.lock);
  int n = pool.threads;
  pthread_mutex_unlock(&pool.lock);
  napi_create_int32(env, n, &v);
  return v;
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
  napi_create_function(env, "compressPagesAsync", NAPI_AUTO_LENGTH, CompressPagesAsync, NULL, &fn);
  napi_set_named_property(env, exports, "compressPagesAsync", fn);
  napi_create_function(env, "compressFilePagesAsync", NAPI_AUTO_LENGTH, CompressFilePagesAsync, NULL, &fn);
  napi_set_named_property(env, exports, "compressFilePagesAsync", fn);
  napi_create_function(env, "threadCount", NAPI_AUTO_LENGTH, ThreadCount, NULL, &fn);
  napi_set_named_property(env, exports, "threadCount", fn);
  napi_create_function(env, "methods", NAPI_AUTO_LENGTH, Methods, NULL, &fn);
  napi_set_named_property(env, exports, "methods", fn);
  return exports;
}
