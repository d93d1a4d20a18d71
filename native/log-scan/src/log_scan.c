/* Literal search over raw log bytes with the system's Hyperscan: kdx oops looks for every report header in
 * every chunk of a log, and V8's regex engine does that at ~1 ns a byte where Hyperscan's literal matchers run
 * at several GB/s. libhs.so.5 is opened at run time (Debian's libhyperscan5; no headers needed to build), so a
 * machine without it, or a CPU it does not run on, only loses the speed: kdx falls back to its regex. */
#include <dlfcn.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The few declarations of hs.h used here (Hyperscan 5.2 and later). */
typedef struct hs_database hs_database_t;
typedef struct hs_scratch hs_scratch_t;
typedef struct hs_compile_error {
  char *message;
  int expression;
} hs_compile_error_t;
typedef int (*match_event_handler)(unsigned int id, unsigned long long from, unsigned long long to,
                                   unsigned int flags, void *context);
enum { HS_SUCCESS = 0, HS_MODE_BLOCK = 1 };

static struct {
  int (*compile_lit_multi)(const char *const *, const unsigned *, const unsigned *, const size_t *, unsigned,
                           unsigned, const void *, hs_database_t **, hs_compile_error_t **);
  int (*alloc_scratch)(const hs_database_t *, hs_scratch_t **);
  int (*scan)(const hs_database_t *, const char *, unsigned, unsigned, hs_scratch_t *, match_event_handler, void *);
  int (*free_database)(hs_database_t *);
  int (*free_scratch)(hs_scratch_t *);
  int (*free_compile_error)(hs_compile_error_t *);
  int (*valid_platform)(void);
  const char *(*version)(void);
} hs;

static pthread_once_t loaded = PTHREAD_ONCE_INIT;

static void load(void) {
  void *h = dlopen("libhs.so.5", RTLD_NOW | RTLD_LOCAL);
  if (!h) return;
  hs.compile_lit_multi = dlsym(h, "hs_compile_lit_multi");
  hs.alloc_scratch = dlsym(h, "hs_alloc_scratch");
  hs.scan = dlsym(h, "hs_scan");
  hs.free_database = dlsym(h, "hs_free_database");
  hs.free_scratch = dlsym(h, "hs_free_scratch");
  hs.free_compile_error = dlsym(h, "hs_free_compile_error");
  hs.valid_platform = dlsym(h, "hs_valid_platform");
  hs.version = dlsym(h, "hs_version");
}

static int usable(void) {
  pthread_once(&loaded, load);
  return hs.compile_lit_multi && hs.alloc_scratch && hs.scan && hs.free_database && hs.free_scratch &&
         hs.free_compile_error && hs.valid_platform && hs.version && hs.valid_platform() == HS_SUCCESS;
}

struct literal_set {
  hs_database_t *db;
  hs_scratch_t *scratch;
};

static void free_set(napi_env env, void *data, void *hint) {
  struct literal_set *set = data;
  (void)env, (void)hint;
  hs.free_scratch(set->scratch);
  hs.free_database(set->db);
  free(set);
}

/* compile(literals: string[]) -> an external holding the database and its scratch space. */
static napi_value Compile(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  uint32_t n = 0;
  bool is_array = false;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[0], &n) != napi_ok || n == 0 || n > 4096) {
    napi_throw_type_error(env, NULL, "compile(literals: string[]): 1 to 4096 literals");
    return NULL;
  }
  if (!usable()) {
    napi_throw_error(env, NULL, "log-scan: libhs.so.5 (Hyperscan) is not installed or does not run on this CPU");
    return NULL;
  }
  char **text = calloc(n, sizeof *text);
  size_t *lens = calloc(n, sizeof *lens);
  unsigned *ids = calloc(n, sizeof *ids), *flags = calloc(n, sizeof *flags);
  const char *problem = text && lens && ids && flags ? NULL : "log-scan: out of memory";
  for (uint32_t i = 0; i < n && !problem; i++) {
    napi_value v;
    size_t len;
    if (napi_get_element(env, argv[0], i, &v) != napi_ok ||
        napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len == 0) {
      problem = "compile(literals: string[]): every literal a string, none empty";
      break;
    }
    text[i] = malloc(len + 1);
    if (!text[i]) {
      problem = "log-scan: out of memory";
      break;
    }
    napi_get_value_string_utf8(env, v, text[i], len + 1, &len);
    lens[i] = len;
    ids[i] = i;
  }
  struct literal_set *set = NULL;
  hs_compile_error_t *error = NULL;
  char message[256] = "";
  if (!problem) {
    set = calloc(1, sizeof *set);
    if (!set) problem = "log-scan: out of memory";
    else if (hs.compile_lit_multi((const char *const *)text, flags, ids, lens, n, HS_MODE_BLOCK, NULL, &set->db,
                                  &error) != HS_SUCCESS) {
      snprintf(message, sizeof message, "log-scan: Hyperscan refused literal %d: %s", error ? error->expression : -1,
               error && error->message ? error->message : "unknown error");
      if (error) hs.free_compile_error(error);
      problem = message;
    } else if (hs.alloc_scratch(set->db, &set->scratch) != HS_SUCCESS) {
      hs.free_database(set->db);
      problem = "log-scan: cannot allocate Hyperscan's scratch space";
    }
  }
  for (uint32_t i = 0; text && i < n; i++) free(text[i]);
  free(text), free(lens), free(ids), free(flags);
  if (problem) {
    free(set);
    napi_throw_error(env, NULL, problem);
    return NULL;
  }
  napi_create_external(env, set, free_set, NULL, &result);
  return result;
}

struct hits {
  int32_t *at;
  size_t n, cap;
  int failed;
};

/* Append v to h: 0, or 1 when out of memory. */
static int push_hit(struct hits *h, int32_t v) {
  if (h->n == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 256;
    int32_t *at = realloc(h->at, cap * sizeof *at);
    if (!at) {
      h->failed = 1;
      return 1;
    }
    h->at = at;
    h->cap = cap;
  }
  h->at[h->n++] = v;
  return 0;
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *ctx) {
  (void)id, (void)from, (void)flags;
  return push_hit(ctx, (int32_t)(to - 1)); /* 1 stops the scan */
}

/* scan(set, bytes, maxLine) -> Int32Array, a chunk's index for kdx's report reader, laid out as
 *   newlines, H, then H pairs (offset of the last byte of an occurrence, its line), in increasing order,
 *   L, then L pairs (start, line) of the whole lines longer than maxLine bytes,
 * lines counted from 0 at the chunk's start, a line being the bytes up to a newline; the bytes after the last
 * newline are line `newlines`. */
static napi_value Scan(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], buffer, result;
  struct literal_set *set;
  napi_typedarray_type type;
  size_t length;
  void *data;
  uint32_t max_line = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || napi_get_value_external(env, argv[0], (void **)&set) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array || length > INT32_MAX || napi_get_value_uint32(env, argv[2], &max_line) != napi_ok) {
    napi_throw_type_error(env, NULL, "scan(set, bytes: Uint8Array, maxLine: number): bytes under 2 GiB");
    return NULL;
  }
  struct hits h = {0}, longs = {0};
  if (length && hs.scan(set->db, data, (unsigned)length, 0, set->scratch, on_match, &h) != HS_SUCCESS && !h.failed) {
    free(h.at);
    napi_throw_error(env, NULL, "log-scan: Hyperscan failed to scan");
    return NULL;
  }
  /* Lines: each hit's, and the long ones. Hits come in increasing order of their last byte. */
  int32_t *hit_line = h.n ? malloc(h.n * sizeof *hit_line) : NULL;
  int32_t newlines = 0;
  size_t next = 0;
  const unsigned char *bytes = data, *line = bytes, *end = bytes + length;
  for (const unsigned char *nl; !h.failed && (!h.n || hit_line) && (nl = memchr(line, '\n', end - line)); line = nl + 1) {
    for (; next < h.n && bytes + h.at[next] < nl; next++) hit_line[next] = newlines;
    if ((size_t)(nl - line) > max_line && (push_hit(&longs, (int32_t)(line - bytes)) || push_hit(&longs, newlines)))
      h.failed = 1;
    newlines++;
  }
  for (; next < h.n && hit_line; next++) hit_line[next] = newlines;
  if (h.failed || longs.failed || (h.n && !hit_line)) {
    free(h.at), free(longs.at), free(hit_line);
    napi_throw_error(env, NULL, "log-scan: out of memory");
    return NULL;
  }
  size_t n = 3 + 2 * h.n + longs.n;
  int32_t *out;
  napi_create_arraybuffer(env, n * sizeof(int32_t), (void **)&out, &buffer);
  out[0] = newlines;
  out[1] = (int32_t)h.n;
  for (size_t i = 0; i < h.n; i++) {
    out[2 + 2 * i] = h.at[i];
    out[3 + 2 * i] = hit_line[i];
  }
  out[2 + 2 * h.n] = (int32_t)(longs.n / 2);
  if (longs.n) memcpy(out + 3 + 2 * h.n, longs.at, longs.n * sizeof(int32_t));
  free(h.at), free(longs.at), free(hit_line);
  napi_create_typedarray(env, napi_int32_array, n, buffer, 0, &result);
  return result;
}

/* version() -> Hyperscan's version string, or "" when it cannot be used. */
static napi_value Version(napi_env env, napi_callback_info info) {
  napi_value v;
  (void)info;
  napi_create_string_utf8(env, usable() ? hs.version() : "", NAPI_AUTO_LENGTH, &v);
  return v;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "compile", NAPI_AUTO_LENGTH, Compile, NULL, &fn);
  napi_set_named_property(env, exports, "compile", fn);
  napi_create_function(env, "scan", NAPI_AUTO_LENGTH, Scan, NULL, &fn);
  napi_set_named_property(env, exports, "scan", fn);
  napi_create_function(env, "version", NAPI_AUTO_LENGTH, Version, NULL, &fn);
  napi_set_named_property(env, exports, "version", fn);
  return exports;
}
