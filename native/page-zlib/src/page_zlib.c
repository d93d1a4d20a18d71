/* compress2() of the system's libz, as makedumpfile calls it for each page. libz is opened with
 * RTLD_DEEPBIND: Node exports zlib symbols of its own, which would otherwise stand in for libz's internal calls. */
#include <dlfcn.h>
#include <node_api.h>
#include <stddef.h>

typedef int (*compress2_fn)(unsigned char *, unsigned long *, const unsigned char *, unsigned long, int);
typedef const char *(*version_fn)(void);
static compress2_fn compress2_p;
static version_fn version_p;

/* compress(src, dst, level) -> bytes written to dst, or -1 when the output does not fit dst */
static napi_value Compress(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  void *src, *dst;
  size_t srcLen, dstLen;
  int32_t level;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || napi_get_buffer_info(env, argv[0], &src, &srcLen) != napi_ok ||
      napi_get_buffer_info(env, argv[1], &dst, &dstLen) != napi_ok ||
      napi_get_value_int32(env, argv[2], &level) != napi_ok) {
    napi_throw_type_error(env, NULL, "compress(src: Buffer, dst: Buffer, level: number)");
    return NULL;
  }
  unsigned long out = dstLen;
  int rc = compress2_p((unsigned char *)dst, &out, (const unsigned char *)src, srcLen, level);
  napi_create_int32(env, rc == 0 ? (int32_t)out : -1, &result);
  return result;
}

static napi_value Version(napi_env env, napi_callback_info info) {
  napi_value v;
  napi_create_string_utf8(env, version_p(), NAPI_AUTO_LENGTH, &v);
  return v;
}

NAPI_MODULE_INIT() {
  void *lib = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  if (!lib || !(compress2_p = (compress2_fn)dlsym(lib, "compress2")) || !(version_p = (version_fn)dlsym(lib, "zlibVersion"))) {
    napi_throw_error(env, NULL, "the system's libz.so.1 could not be loaded");
    return NULL;
  }
  napi_value fn;
  napi_create_function(env, "compress", NAPI_AUTO_LENGTH, Compress, NULL, &fn);
  napi_set_named_property(env, exports, "compress", fn);
  napi_create_function(env, "version", NAPI_AUTO_LENGTH, Version, NULL, &fn);
  napi_set_named_property(env, exports, "version", fn);
  return exports;
}
