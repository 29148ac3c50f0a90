/*
 * keywatch-chdb: runs chDB's embedded ClickHouse as a server. chDB is clickhouse-local in a
 * shared library; its C entry point chdb_query_cmdline takes a clickhouse-local command line, and
 * clickhouse-local (26.x) can open the real HTTP and native listeners. The listeners live as long as
 * the query runs, so the command line ends with a query that sleeps until the process is stopped.
 *
 * Usage: keywatch-chdb <path to libchdb.so> <clickhouse-local arguments...>
 * Compiled on first use by infra/local/src/clickhouse-modern.ts (gcc -O2 -o keywatch-chdb launcher.c -ldl).
 */
#include <dlfcn.h>
#include <stdio.h>

struct chdb_result;
typedef struct chdb_result *(*query_cmdline_fn)(int, char **);
typedef const char *(*result_error_fn)(struct chdb_result *);

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s <libchdb.so> <clickhouse-local arguments...>\n", argv[0]);
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
    if (!lib) {
        fprintf(stderr, "keywatch-chdb: cannot load %s: %s\n", argv[1], dlerror());
        return 2;
    }
    query_cmdline_fn query = (query_cmdline_fn)dlsym(lib, "chdb_query_cmdline");
    result_error_fn error = (result_error_fn)dlsym(lib, "chdb_result_error");
    if (!query || !error) {
        fprintf(stderr, "keywatch-chdb: %s has no chdb_query_cmdline/chdb_result_error\n", argv[1]);
        return 2;
    }
    /* argv[1] (the library) is replaced by the program name clickhouse-local expects first. */
    argv[1] = "clickhouse";
    struct chdb_result *result = query(argc - 1, argv + 1);
    const char *message = result ? error(result) : "no result";
    if (message && message[0]) {
        fprintf(stderr, "keywatch-chdb: %s\n", message);
        return 1;
    }
    /* The held query only ends when the server is being stopped. */
    fprintf(stderr, "keywatch-chdb: stopped\n");
    return 0;
}
