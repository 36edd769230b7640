// The Swift package's ABI, checked from C on a machine without a Swift compiler.
//
// Compiled against the committed, generated C headers (the `DollrFFI` clang module that the
// Swift sources import) and linked with the built libdollr_ffi, it calls the same symbols the
// generated Swift code calls, the way it calls them:
//
//   1. the contract versions and EVERY checksum the committed Swift sources expect
//      (checksums.inc is extracted from Dollr.swift / DollrCore.swift by `make test-c-abi`, and
//      client_options.inc, the ClientOptions record in the order those sources write it);
//   2. synchronous exports with strings in and out, and a record with an exact decimal;
//   3. a client of the sandbox run.sh started (`dollr sandbox`), and async calls through the
//      rust-future API (poll with a continuation callback, complete, free), a success and a
//      typed error;
//   4. panics: a caught one is the `Internal` error variant, an unguarded one uniffi's
//      "unexpected error" status, and the process goes on.
//
// usage: ffi_check SANDBOX_URL CLIENT_ID CLIENT_SECRET   (exit status 0 when every check passed)

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dollrFFI.h"
#include "dollr_coreFFI.h"

#ifndef CONTRACT_VERSION
#error "build with -DCONTRACT_VERSION=<the contract version of the generated Swift sources>"
#endif
#ifndef SDK_VERSION
#error "build with -DSDK_VERSION=\"<the workspace version>\""
#endif

static int failures = 0;

static void check(bool ok, const char *format, ...) {
    va_list args;
    va_start(args, format);
    fprintf(stderr, ok ? "  ok   " : "  FAIL ");
    vfprintf(stderr, format, args);
    fprintf(stderr, "\n");
    va_end(args);
    if (!ok) failures++;
}

// ---- The checksums the committed Swift sources verify at load time. ----

struct checksum {
    const char *name;
    uint16_t (*function)(void);
    uint16_t expected;
};

static const struct checksum checksums[] = {
#include "checksums.inc"
};

// ---- Buffers: uniffi's serialization (big-endian, i32-length-prefixed strings). ----

struct writer {
    uint8_t bytes[1024];
    int32_t len;
};

static void put_u8(struct writer *w, uint8_t v) { w->bytes[w->len++] = v; }

static void put_i32(struct writer *w, int32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) put_u8(w, (uint8_t)((uint32_t)v >> shift));
}

static void put_str(struct writer *w, const char *s) {
    int32_t n = (int32_t)strlen(s);
    put_i32(w, n);
    memcpy(w->bytes + w->len, s, (size_t)n);
    w->len += n;
}

static RustBuffer to_rust(const uint8_t *bytes, int32_t len) {
    RustCallStatus status = {0};
    ForeignBytes foreign = {len, bytes};
    RustBuffer buffer = ffi_dollr_ffi_rustbuffer_from_bytes(foreign, &status);
    if (status.code != 0) {
        fprintf(stderr, "rustbuffer_from_bytes failed\n");
        exit(2);
    }
    return buffer;
}

// A top-level string argument is its raw UTF-8 bytes.
static RustBuffer string_arg(const char *s) { return to_rust((const uint8_t *)s, (int32_t)strlen(s)); }

static RustBuffer record_arg(const struct writer *w) { return to_rust(w->bytes, w->len); }

static void free_buffer(RustBuffer buffer) {
    RustCallStatus status = {0};
    ffi_dollr_ffi_rustbuffer_free(buffer, &status);
}

struct reader {
    const uint8_t *data;
    uint64_t len;
    uint64_t at;
};

static bool has(struct reader *r, uint64_t n) { return r->at + n <= r->len; }

static uint8_t get_u8(struct reader *r) { return has(r, 1) ? r->data[r->at++] : 0; }

static int32_t get_i32(struct reader *r) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v = (v << 8) | get_u8(r);
    return (int32_t)v;
}

static int64_t get_i64(struct reader *r) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | get_u8(r);
    return (int64_t)v;
}

// Copies a length-prefixed string into out (truncated to size - 1).
static void get_str(struct reader *r, char *out, size_t size) {
    int32_t n = get_i32(r);
    size_t copy = 0;
    if (n > 0 && has(r, (uint64_t)n)) {
        copy = (size_t)n < size - 1 ? (size_t)n : size - 1;
        memcpy(out, r->data + r->at, copy);
        r->at += (uint64_t)n;
    }
    out[copy] = '\0';
}

// A returned top-level string: the whole buffer.
static void buffer_str(RustBuffer buffer, char *out, size_t size) {
    size_t n = buffer.len < size - 1 ? (size_t)buffer.len : size - 1;
    if (n > 0) memcpy(out, buffer.data, n);
    out[n] = '\0';
}

// ---- The rust-future protocol, as the generated Swift code drives it. ----

struct continuation {
    pthread_mutex_t lock;
    pthread_cond_t woken;
    bool called;
    int8_t poll_result;
};

static struct continuation waker = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0};

// Rust calls this (on one of its threads) when the future should be polled again or is ready.
static void on_continuation(uint64_t data, int8_t poll_result) {
    struct continuation *c = (struct continuation *)(uintptr_t)data;
    pthread_mutex_lock(&c->lock);
    c->called = true;
    c->poll_result = poll_result;
    pthread_cond_signal(&c->woken);
    pthread_mutex_unlock(&c->lock);
}

// Polls until READY (0); false if Rust does not call back within the deadline.
static bool drive(uint64_t future) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 20;
    for (;;) {
        pthread_mutex_lock(&waker.lock);
        waker.called = false;
        pthread_mutex_unlock(&waker.lock);
        ffi_dollr_ffi_rust_future_poll_rust_buffer(future, on_continuation, (uint64_t)(uintptr_t)&waker);
        pthread_mutex_lock(&waker.lock);
        while (!waker.called) {
            if (pthread_cond_timedwait(&waker.woken, &waker.lock, &deadline) != 0) {
                pthread_mutex_unlock(&waker.lock);
                return false;
            }
        }
        int8_t result = waker.poll_result;
        pthread_mutex_unlock(&waker.lock);
        if (result == 0) return true;
    }
}

// Runs an async export returning a RustBuffer: poll, complete, free.
static RustBuffer await_buffer(uint64_t future, RustCallStatus *status) {
    RustBuffer result = {0};
    if (!drive(future)) {
        check(false, "the future completed in time");
    } else {
        result = ffi_dollr_ffi_rust_future_complete_rust_buffer(future, status);
    }
    ffi_dollr_ffi_rust_future_free_rust_buffer(future);
    return result;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: ffi_check SANDBOX_URL CLIENT_ID CLIENT_SECRET\n");
        return 2;
    }
    const char *sandbox_url = argv[1], *client_id = argv[2], *client_secret = argv[3];
    fprintf(stderr, "C ABI check of the Swift package (DollrFFI headers + libdollr_ffi)\n");

    // 1. Contract versions and checksums.
    check(ffi_dollr_ffi_uniffi_contract_version() == CONTRACT_VERSION, "contract version of dollr");
    check(ffi_dollr_core_uniffi_contract_version() == CONTRACT_VERSION, "contract version of dollr_core");
    size_t count = sizeof checksums / sizeof checksums[0];
    int mismatched = 0;
    for (size_t i = 0; i < count; i++) {
        uint16_t actual = checksums[i].function();
        if (actual != checksums[i].expected) {
            fprintf(stderr, "    %s: library %u, Swift sources %u\n", checksums[i].name, actual, checksums[i].expected);
            mismatched++;
        }
    }
    check(count >= 100 && mismatched == 0, "%zu checksums match the committed Swift sources", count);

    // 2. Synchronous exports.
    RustCallStatus status = {0};
    char text[256];
    RustBuffer version = uniffi_dollr_ffi_fn_func_sdk_version(&status);
    buffer_str(version, text, sizeof text);
    free_buffer(version);
    check(status.code == 0 && strcmp(text, SDK_VERSION) == 0, "sdk_version() = \"%s\"", text);

    status = (RustCallStatus){0};
    RustBuffer request = uniffi_dollr_ffi_fn_func_collect_request(
        string_arg("231771234567"), string_arg("250.10"), string_arg("USD"), &status);
    struct reader r = {request.data, request.len, 0};
    char phone[64], currency[16], name[64], amount[64];
    get_str(&r, phone, sizeof phone);
    get_str(&r, currency, sizeof currency);
    int32_t items = get_i32(&r);
    get_str(&r, name, sizeof name);
    int64_t qty = get_i64(&r);
    get_str(&r, amount, sizeof amount);
    free_buffer(request);
    check(status.code == 0 && strcmp(phone, "231771234567") == 0 && strcmp(currency, "USD") == 0 && items == 1 &&
              strcmp(name, "Payment") == 0 && qty == 1 && strcmp(amount, "250.10") == 0,
          "collect_request(...) = CollectRequest{items: [%s x%lld @ %s]} (exact decimal text)", name, (long long)qty,
          amount);

    // 3. A client of the sandbox, and async calls through the rust-future API.
    struct writer client_options = {{0}, 0};
    // Every field in the order of the committed Swift sources (client_options.inc, written by
    // run.sh): base_url = the sandbox, ignore_env = true, the rest None (id and secret are arguments).
#include "client_options.inc"
    status = (RustCallStatus){0};
    uint64_t client = uniffi_dollr_ffi_fn_constructor_dollrclient_new(
        string_arg(client_id), string_arg(client_secret), record_arg(&client_options), &status);
    check(status.code == 0 && client != 0, "DollrClient(id, secret, ClientOptions(baseUrl = %s))", sandbox_url);
    if (status.code != 0) return 1;

    status = (RustCallStatus){0};
    RustBuffer base_url = uniffi_dollr_ffi_fn_method_dollrclient_base_url(uniffi_dollr_ffi_fn_clone_dollrclient(client, &status), &status);
    buffer_str(base_url, text, sizeof text);
    free_buffer(base_url);
    check(status.code == 0 && strcmp(text, sandbox_url) == 0, "client.baseUrl() = %s", text);

    status = (RustCallStatus){0};
    uint64_t parties = uniffi_dollr_ffi_fn_method_dollrclient_parties(uniffi_dollr_ffi_fn_clone_dollrclient(client, &status), &status);
    check(status.code == 0 && parties != 0, "client.parties()");

    struct writer party = {{0}, 0};
    put_str(&party, "C Caller");
    put_str(&party, "231771234567");
    put_u8(&party, 0);  // email: None
    put_u8(&party, 1);  // country_code: Some("LR")
    put_str(&party, "LR");
    status = (RustCallStatus){0};
    uint64_t future = uniffi_dollr_ffi_fn_method_parties_create(
        uniffi_dollr_ffi_fn_clone_parties(parties, &status), record_arg(&party));
    RustBuffer created = await_buffer(future, &status);
    r = (struct reader){created.data, created.len, 0};
    int64_t party_id = get_i64(&r);
    char fullname[64];
    get_str(&r, fullname, sizeof fullname);
    free_buffer(created);
    check(status.code == 0 && party_id > 0 && strcmp(fullname, "C Caller") == 0,
          "await parties.create(...) = Party{id: %lld, fullname: \"%s\"}", (long long)party_id, fullname);

    status = (RustCallStatus){0};
    future = uniffi_dollr_ffi_fn_method_parties_retrieve(uniffi_dollr_ffi_fn_clone_parties(parties, &status), 999999);
    await_buffer(future, &status);
    r = (struct reader){status.errorBuf.data, status.errorBuf.len, 0};
    int32_t variant = get_i32(&r);
    char reason[256];
    get_str(&r, reason, sizeof reason);
    uint8_t has_status = get_u8(&r);
    uint8_t high = get_u8(&r);
    uint8_t low = get_u8(&r);
    uint16_t http = (uint16_t)((high << 8) | low);
    free_buffer(status.errorBuf);
    check(status.code == 1 && variant == 4 && has_status == 1 && http == 404,
          "await parties.retrieve(999999) throws DollrError.NotFound (variant %d, HTTP %u): %s", variant, http, reason);

    // 4. Panics never cross the FFI.
    status = (RustCallStatus){0};
    uniffi_dollr_ffi_fn_func_debug_panic(string_arg("boom from C"), &status);
    r = (struct reader){status.errorBuf.data, status.errorBuf.len, 0};
    variant = get_i32(&r);
    free_buffer(status.errorBuf);
    check(status.code == 1 && variant == 12, "a caught panic is DollrError.Internal (variant %d)", variant);

    status = (RustCallStatus){0};
    uniffi_dollr_ffi_fn_func_debug_panic_unguarded(string_arg("unguarded boom from C"), &status);
    buffer_str(status.errorBuf, text, sizeof text);
    free_buffer(status.errorBuf);
    check(status.code == 2 && strstr(text, "unguarded boom from C") != NULL,
          "an unguarded panic is uniffi's unexpected-error status: \"%s\"", text);

    // Clean up: release the objects (as Swift's deinit does); run.sh stops the sandbox.
    status = (RustCallStatus){0};
    uniffi_dollr_ffi_fn_free_parties(parties, &status);
    uniffi_dollr_ffi_fn_free_dollrclient(client, &status);
    check(status.code == 0, "objects released");

    fprintf(stderr, failures == 0 ? "C ABI check passed\n" : "C ABI check: %d failure(s)\n", failures);
    return failures == 0 ? 0 : 1;
}
