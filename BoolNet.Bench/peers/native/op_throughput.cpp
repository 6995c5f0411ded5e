// Throughput of the zmm (and one ymm) instructions the GEMM kernels are made of, in G instructions per
// thread-CPU second: 12 independent register chains, an empty asm barrier after every round so the compiler
// can neither fold repeated operations nor keep the chains in memory. Used to bound the kernels (see README).
// Build: ./build.sh; run: ./op_throughput
#include <immintrin.h>
#include <cstdio>
#include <ctime>

static double thread_seconds() { timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

#define BARRIER() __asm__ volatile("" : "+v"(x0), "+v"(x1), "+v"(x2), "+v"(x3), "+v"(x4), "+v"(x5), "+v"(x6), "+v"(x7), "+v"(x8), "+v"(x9), "+v"(x10), "+v"(x11))
#define EACH(F) do { x0 = F(x0); x1 = F(x1); x2 = F(x2); x3 = F(x3); x4 = F(x4); x5 = F(x5); x6 = F(x6); x7 = F(x7); x8 = F(x8); x9 = F(x9); x10 = F(x10); x11 = F(x11); } while (0)

template <class Op>
__attribute__((noinline)) double rate(long rounds, Op op) {
    __m512i x0 = _mm512_set1_epi64(1), x1 = _mm512_set1_epi64(2), x2 = _mm512_set1_epi64(3), x3 = _mm512_set1_epi64(4);
    __m512i x4 = _mm512_set1_epi64(5), x5 = _mm512_set1_epi64(6), x6 = _mm512_set1_epi64(7), x7 = _mm512_set1_epi64(8);
    __m512i x8 = _mm512_set1_epi64(9), x9 = _mm512_set1_epi64(10), x10 = _mm512_set1_epi64(11), x11 = _mm512_set1_epi64(12);
    double start = thread_seconds();
    for (long r = 0; r < rounds; r++) {
        EACH(op); BARRIER(); EACH(op); BARRIER(); EACH(op); BARRIER(); EACH(op); BARRIER();
    }
    double seconds = thread_seconds() - start;
    long long sink = _mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_add_epi64(x0, x5), x11));
    if (sink == 42) std::printf(" ");
    return rounds * 48.0 / seconds / 1e9;
}

int main() {
    const __m512i y = _mm512_set1_epi64(0x0123456789abcdefLL), z = _mm512_set1_epi64(0x0f0f0f0f0f0f0f0fLL);
    const long rounds = 3000000;
    for (int pass = 0; pass < 3; pass++) {
        std::printf("{\"bench\":\"op_throughput\",\"unit\":\"G instructions per thread-CPU second\"");
        std::printf(",\"vpxorq_zmm\":%.2f", rate(rounds, [&](__m512i x) { return _mm512_xor_si512(x, y); }));
        std::printf(",\"vpternlogq_zmm\":%.2f", rate(rounds, [&](__m512i x) { return _mm512_ternarylogic_epi64(x, y, z, 0x96); }));
        std::printf(",\"vpaddb_zmm\":%.2f", rate(rounds, [&](__m512i x) { return _mm512_add_epi8(x, y); }));
        std::printf(",\"vpermb_zmm\":%.2f", rate(rounds, [&](__m512i x) { return _mm512_permutexvar_epi8(x, y); }));
        std::printf(",\"vpsrlq_zmm\":%.2f", rate(rounds, [&](__m512i x) { return _mm512_srli_epi64(x, 2); }));
        std::printf(",\"vpopcntq_zmm\":%.2f", rate(rounds, [&](__m512i x) { return _mm512_popcnt_epi64(x); }));
        std::printf(",\"vpsadbw_zmm\":%.2f", rate(rounds, [&](__m512i x) { return _mm512_sad_epu8(x, y); }));
        std::printf(",\"vmovdqa64_zmm_copy_xor\":%.2f", rate(rounds, [&](__m512i x) {
            __m512i copy; __asm__ volatile("vmovdqa64 %1, %0" : "=v"(copy) : "v"(x)); return _mm512_xor_si512(copy, y); }));
        static const long long word = 0x5555;
        std::printf(",\"vpxorq_zmm_m64bcst\":%.2f", rate(rounds, [&](__m512i x) {
            __asm__("vpxorq %1%{1to8%}, %0, %0" : "+v"(x) : "m"(word)); return x; }));
        std::printf(",\"vpbroadcastq_zmm_m64\":%.2f", rate(rounds, [&](__m512i x) {
            __m512i b; __asm__ volatile("vpbroadcastq %1, %0" : "=v"(b) : "m"(word)); return _mm512_xor_si512(x, b); }));
        std::printf(",\"vpternlogq_ymm\":%.2f", rate(rounds, [&](__m512i x) {
            return _mm512_castsi256_si512(_mm256_ternarylogic_epi64(_mm512_castsi512_si256(x), _mm512_castsi512_si256(y), _mm512_castsi512_si256(z), 0x96)); }));
        std::printf(",\"load_average\":%s}\n", [] { static char b[32] = "-1"; if (FILE* f = std::fopen("/proc/loadavg", "r")) { if (std::fscanf(f, "%31s", b) != 1) b[0] = 0; std::fclose(f); } return b; }());
    }
}
