/* Plain OpenMP STREAM triad, the comparison baseline of `rooflab bench cpu` (issue 5: measured triad bandwidth
 * must reach at least this). Deliberately naive, as in McCalpin's STREAM: one static-scheduled parallel loop,
 * arrays first-touched by the same threads, bytes counted as 3 x 8 per element (no write-allocate).
 * Build on the machine measured:  gcc -O3 -march=native -fopenmp stream_triad.c -o stream_triad
 * Run:  ./stream_triad ELEMENTS_PER_ARRAY THREADS[,THREADS...] [REPEATS]   (CSV on stdout)
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void* a, const void* b) {
    const double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s ELEMENTS_PER_ARRAY THREADS[,THREADS...] [REPEATS]\n", argv[0]);
        return 2;
    }
    const long n = atol(argv[1]);
    const int repeats = argc > 3 ? atoi(argv[3]) : 10;
    const double scalar = 3.0;
    printf("kernel,threads,footprint_bytes,bytes_moved,median_s,min_s,bytes_per_s_median,bytes_per_s_best,"
           "elements_per_array,repeats,checksum_ok\n");
    char* list = strdup(argv[2]);
    for (char* tok = strtok(list, ","); tok != NULL; tok = strtok(NULL, ",")) {
        const int threads = atoi(tok);
        omp_set_num_threads(threads);
        double* a = aligned_alloc(64, (size_t)n * sizeof(double));
        double* b = aligned_alloc(64, (size_t)n * sizeof(double));
        double* c = aligned_alloc(64, (size_t)n * sizeof(double));
        if (!a || !b || !c)
            return 1;
#pragma omp parallel for schedule(static)
        for (long j = 0; j < n; j++) {
            a[j] = 1.0;
            b[j] = 2.0;
            c[j] = 0.5;
        }
        double* times = malloc(sizeof(double) * (size_t)repeats);
        for (int k = 0; k <= repeats; k++) {
            const double t0 = omp_get_wtime();
#pragma omp parallel for schedule(static)
            for (long j = 0; j < n; j++)
                a[j] = b[j] + scalar * c[j];
            const double dt = omp_get_wtime() - t0;
            if (k > 0)
                times[k - 1] = dt; /* first iteration is warm-up, as in STREAM */
        }
        int ok = 1;
        for (long j = 0; j < n; j += 4099)
            if (a[j] != 3.5)
                ok = 0;
        qsort(times, (size_t)repeats, sizeof(double), cmp);
        const double median = repeats % 2 ? times[repeats / 2] : 0.5 * (times[repeats / 2 - 1] + times[repeats / 2]);
        const double bytes = 3.0 * 8.0 * (double)n;
        printf("triad,%d,%.0f,%.0f,%.9g,%.9g,%.6e,%.6e,%ld,%d,%d\n", threads, bytes, bytes, median, times[0],
               bytes / median, bytes / times[0], n, repeats, ok);
        fflush(stdout);
        free(times);
        free(a);
        free(b);
        free(c);
    }
    free(list);
    return 0;
}
