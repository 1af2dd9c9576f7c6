// Minimal N-API binding to ISA-L (Debian libisal-dev): its erasure-code
// kernels and its CRC32C.
//
// It exposes only the primitives the TypeScript side needs; the coding
// matrix and the decode-matrix inversion live in TypeScript (src/gf256.ts,
// src/cauchy-matrix.ts) so that the on-disk format is defined by our code,
// not by a library version:
//
//   cauchyMatrix(k, m) -> Buffer            gf_gen_cauchy1_matrix, (k+m)*k bytes,
//                                           only to check our matrix matches ISA-L's
//   initTables(k, rows, matrix) -> Buffer   ec_init_tables, 32*k*rows bytes
//   encodeSync(len, tables, sources, outputs)        ec_encode_data on this thread
//   encode(len, tables, sources, outputs) -> Promise ec_encode_data on the libuv pool
//   crc32c(bytes, initial?) -> number       crc32_iscsi, standard CRC32C value
//
// Must be loaded with RTLD_DEEPBIND: the node binary exports OpenSSL's own
// gf_mul, and ec_init_tables would otherwise bind to it and compute garbage
// (or crash) instead of calling ISA-L's gf_mul.
#define NAPI_VERSION 8
#include <node_api.h>
#include <isa-l/crc.h>
#include <isa-l/erasure_code.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// ISA-L's tables and pointer arrays are sized for GF(2^8): at most 255 shards.
#define MAX_SHARDS 255

#define CHECK(env, call)                                                       \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      napi_throw_error((env), NULL, "N-API call failed: " #call);              \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

#define THROW_RANGE(env, msg)                                                  \
  do {                                                                         \
    napi_throw_range_error((env), "ERR_ERASURE_ARGUMENT", (msg));              \
    return NULL;                                                               \
  } while (0)

static int get_int(napi_env env, napi_value v, int32_t* out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return 0;
  return napi_get_value_int32(env, v, out) == napi_ok;
}

// Accepts any Uint8Array (Buffer included); data already includes byte_offset.
static int get_bytes(napi_env env, napi_value v, uint8_t** data, size_t* len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  napi_typedarray_type type;
  void* ptr = NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &ptr, NULL, NULL) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *data = (uint8_t*)ptr;
  return 1;
}

static napi_value CauchyMatrix(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t k, m;
  if (argc != 2 || !get_int(env, argv[0], &k) || !get_int(env, argv[1], &m))
    THROW_RANGE(env, "expected (k, m)");
  if (k < 1 || m < 1 || k + m > MAX_SHARDS) THROW_RANGE(env, "need k >= 1, m >= 1, k + m <= 255");
  napi_value result;
  void* data;
  CHECK(env, napi_create_buffer(env, (size_t)(k + m) * k, &data, &result));
  gf_gen_cauchy1_matrix((unsigned char*)data, k + m, k);
  return result;
}

static napi_value InitTables(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t k, rows;
  uint8_t* matrix;
  size_t matrix_len;
  if (argc != 3 || !get_int(env, argv[0], &k) || !get_int(env, argv[1], &rows) ||
      !get_bytes(env, argv[2], &matrix, &matrix_len))
    THROW_RANGE(env, "expected (k, rows, matrix: Uint8Array)");
  if (k < 1 || rows < 1 || k > MAX_SHARDS || rows > MAX_SHARDS) THROW_RANGE(env, "k or rows out of range");
  if (matrix_len != (size_t)k * rows) THROW_RANGE(env, "matrix must be rows * k bytes");
  napi_value result;
  void* tables;
  CHECK(env, napi_create_buffer(env, (size_t)32 * k * rows, &tables, &result));
  ec_init_tables(k, rows, matrix, (unsigned char*)tables);
  return result;
}

// One encode call: pointers into JS-owned memory, kept alive by references
// until the work completes (so GC cannot free them under the worker thread).
typedef struct {
  int len;
  int k;
  int rows;
  uint8_t* tables;
  uint8_t* sources[MAX_SHARDS];
  uint8_t* outputs[MAX_SHARDS];
  napi_ref refs[2 * MAX_SHARDS + 1];
  int ref_count;
  napi_deferred deferred;
  napi_async_work work;
} EncodeJob;

// Parses (len, tables, sources[], outputs[]) into job; on failure throws and returns 0.
static int parse_encode_args(napi_env env, napi_callback_info info, EncodeJob* job,
                             napi_value* source_vals, napi_value* output_vals, napi_value* tables_val) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4) {
    napi_throw_range_error(env, "ERR_ERASURE_ARGUMENT", "expected (len, tables, sources, outputs)");
    return 0;
  }
  int32_t len;
  if (!get_int(env, argv[0], &len) || len < 1) {
    napi_throw_range_error(env, "ERR_ERASURE_ARGUMENT", "len must be a positive int32");
    return 0;
  }
  size_t tables_len;
  if (!get_bytes(env, argv[1], &job->tables, &tables_len)) {
    napi_throw_range_error(env, "ERR_ERASURE_ARGUMENT", "tables must be a Uint8Array");
    return 0;
  }
  *tables_val = argv[1];
  bool is_array;
  uint32_t k, rows;
  if (napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[2], &k) != napi_ok ||
      napi_is_array(env, argv[3], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[3], &rows) != napi_ok) {
    napi_throw_range_error(env, "ERR_ERASURE_ARGUMENT", "sources and outputs must be arrays");
    return 0;
  }
  if (k < 1 || rows < 1 || k > MAX_SHARDS || rows > MAX_SHARDS) {
    napi_throw_range_error(env, "ERR_ERASURE_ARGUMENT", "sources or outputs count out of range");
    return 0;
  }
  if (tables_len != (size_t)32 * k * rows) {
    napi_throw_range_error(env, "ERR_ERASURE_ARGUMENT", "tables must be 32 * sources * outputs bytes");
    return 0;
  }
  for (uint32_t i = 0; i < k + rows; i++) {
    napi_value v;
    uint8_t* data;
    size_t n;
    napi_value arr = i < k ? argv[2] : argv[3];
    uint32_t idx = i < k ? i : i - k;
    if (napi_get_element(env, arr, idx, &v) != napi_ok || !get_bytes(env, v, &data, &n)) {
      napi_throw_range_error(env, "ERR_ERASURE_ARGUMENT", "every shard must be a Uint8Array");
      return 0;
    }
    if (n < (size_t)len) {
      napi_throw_range_error(env, "ERR_ERASURE_ARGUMENT", "a shard is shorter than len");
      return 0;
    }
    if (i < k) {
      job->sources[idx] = data;
      source_vals[idx] = v;
    } else {
      job->outputs[idx] = data;
      output_vals[idx] = v;
    }
  }
  job->len = len;
  job->k = (int)k;
  job->rows = (int)rows;
  return 1;
}

static napi_value EncodeSync(napi_env env, napi_callback_info info) {
  EncodeJob job;
  napi_value source_vals[MAX_SHARDS], output_vals[MAX_SHARDS], tables_val;
  if (!parse_encode_args(env, info, &job, source_vals, output_vals, &tables_val)) return NULL;
  ec_encode_data(job.len, job.k, job.rows, job.tables, job.sources, job.outputs);
  return NULL;
}

static void ExecuteEncode(napi_env env, void* data) {
  (void)env;
  EncodeJob* job = (EncodeJob*)data;
  ec_encode_data(job->len, job->k, job->rows, job->tables, job->sources, job->outputs);
}

static void CompleteEncode(napi_env env, napi_status status, void* data) {
  EncodeJob* job = (EncodeJob*)data;
  for (int i = 0; i < job->ref_count; i++) napi_delete_reference(env, job->refs[i]);
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  if (status == napi_ok) {
    napi_resolve_deferred(env, job->deferred, undefined);
  } else {
    napi_value msg, err;
    napi_create_string_utf8(env, "erasure encode was cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
    napi_reject_deferred(env, job->deferred, err);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value Encode(napi_env env, napi_callback_info info) {
  EncodeJob* job = (EncodeJob*)calloc(1, sizeof(EncodeJob));
  if (job == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  napi_value source_vals[MAX_SHARDS], output_vals[MAX_SHARDS], tables_val;
  if (!parse_encode_args(env, info, job, source_vals, output_vals, &tables_val)) {
    free(job);
    return NULL;
  }
  napi_value all[2 * MAX_SHARDS + 1];
  int n = 0;
  all[n++] = tables_val;
  for (int i = 0; i < job->k; i++) all[n++] = source_vals[i];
  for (int i = 0; i < job->rows; i++) all[n++] = output_vals[i];
  for (int i = 0; i < n; i++) {
    if (napi_create_reference(env, all[i], 1, &job->refs[i]) != napi_ok) {
      for (int j = 0; j < i; j++) napi_delete_reference(env, job->refs[j]);
      free(job);
      napi_throw_error(env, NULL, "napi_create_reference failed");
      return NULL;
    }
  }
  job->ref_count = n;
  napi_value promise, name;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "platter:erasure:encode", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, ExecuteEncode, CompleteEncode, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    // Once the promise exists it must be settled: unwind through the completion path.
    for (int i = 0; i < job->ref_count; i++) napi_delete_reference(env, job->refs[i]);
    free(job);
    napi_throw_error(env, NULL, "could not queue erasure encode");
    return NULL;
  }
  return promise;
}

// crc32c(bytes, initial) -> number: CRC32C (Castagnoli) continuing from
// `initial`, with the usual pre- and post-inversion, so that it equals every
// other CRC32C library's answer. ISA-L's folding kernel runs at tens of GB/s,
// several times the SSE4.2 loop of the npm packages: synchronous on purpose,
// a 1 MiB block costs tens of microseconds, less than a trip to the pool.
static napi_value Crc32c(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t* data;
  size_t len;
  if (argc < 1 || !get_bytes(env, argv[0], &data, &len)) THROW_RANGE(env, "crc32c: bytes must be a Uint8Array");
  uint32_t initial = 0;
  if (argc >= 2 && napi_get_value_uint32(env, argv[1], &initial) != napi_ok)
    THROW_RANGE(env, "crc32c: initial must be a number");
  uint32_t crc = ~initial;
  // ISA-L takes an int length: feed huge buffers in pieces.
  while (len > 0) {
    size_t n = len > (1u << 30) ? (1u << 30) : len;
    crc = crc32_iscsi(data, (int)n, crc);
    data += n;
    len -= n;
  }
  napi_value result;
  CHECK(env, napi_create_uint32(env, ~crc, &result));
  return result;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"cauchyMatrix", NULL, CauchyMatrix, NULL, NULL, NULL, napi_enumerable, NULL},
      {"initTables", NULL, InitTables, NULL, NULL, NULL, napi_enumerable, NULL},
      {"encodeSync", NULL, EncodeSync, NULL, NULL, NULL, napi_enumerable, NULL},
      {"encode", NULL, Encode, NULL, NULL, NULL, napi_enumerable, NULL},
      {"crc32c", NULL, Crc32c, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(env, napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
