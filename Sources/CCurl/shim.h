#include <curl/curl.h>

/* libcurl is loaded with dlopen (see DynamicLibrary.swift), and curl_easy_setopt and
   curl_easy_getinfo are variadic, which Swift cannot call: these shims call the resolved
   function pointer `fn` with one typed argument each. */
typedef CURLcode (*tt_curl_setopt_fn)(CURL *, CURLoption, ...);
typedef CURLcode (*tt_curl_getinfo_fn)(CURL *, CURLINFO, ...);

static inline CURLcode tt_curl_setopt_long(void *fn, CURL *h, CURLoption o, long v) { return ((tt_curl_setopt_fn)fn)(h, o, v); }
static inline CURLcode tt_curl_setopt_ptr(void *fn, CURL *h, CURLoption o, const void *v) { return ((tt_curl_setopt_fn)fn)(h, o, v); }
static inline CURLcode tt_curl_setopt_off(void *fn, CURL *h, CURLoption o, curl_off_t v) { return ((tt_curl_setopt_fn)fn)(h, o, v); }
static inline CURLcode tt_curl_setopt_callback(void *fn, CURL *h, CURLoption o, size_t (*cb)(char *, size_t, size_t, void *)) { return ((tt_curl_setopt_fn)fn)(h, o, cb); }
static inline CURLcode tt_curl_getinfo_long(void *fn, CURL *h, CURLINFO i, long *v) { return ((tt_curl_getinfo_fn)fn)(h, i, v); }
static inline CURLcode tt_curl_getinfo_string(void *fn, CURL *h, CURLINFO i, char **v) { return ((tt_curl_getinfo_fn)fn)(h, i, v); }
static inline CURLcode tt_curl_getinfo_off(void *fn, CURL *h, CURLINFO i, curl_off_t *v) { return ((tt_curl_getinfo_fn)fn)(h, i, v); }
