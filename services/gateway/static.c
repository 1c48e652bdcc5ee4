/* static: serves the web root read-only. */
#include "static.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_MAX_LEN 512

struct mime {
    const char *ext;
    const char *type;
};

static const struct mime mimes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".wav", "audio/wav"},
};

bool gw_static_path_ok(const char *path)
{
    size_t len = strlen(path);

    if (len == 0 || len >= PATH_MAX_LEN || path[0] != '/')
        return false;
    if (strchr(path, '\\') != NULL || strstr(path, "//") != NULL)
        return false;
    /* refuse any ".." segment and any hidden file */
    for (const char *p = path; (p = strchr(p, '/')) != NULL; p++)
        if (p[1] == '.')
            return false;
    return true;
}

static const char *mime_of(const char *path)
{
    size_t len = strlen(path);
    for (size_t i = 0; i < sizeof(mimes) / sizeof(mimes[0]); i++) {
        size_t n = strlen(mimes[i].ext);
        if (len >= n && strcmp(path + len - n, mimes[i].ext) == 0)
            return mimes[i].type;
    }
    return "application/octet-stream";
}

void gw_static_serve(struct gw_ctx *ctx, const char *path, struct gw_reply *r)
{
    char full[1024];
    struct stat st;
    int fd;

    if (!gw_static_path_ok(path)) {
        gw_reply_error(r, 404, "not_found", "no such file", NULL);
        return;
    }
    if (snprintf(full, sizeof(full), "%s%s%s", ctx->cfg->web_root, path,
                 path[strlen(path) - 1] == '/' ? "index.html" : "") >= (int)sizeof(full)) {
        gw_reply_error(r, 404, "not_found", "no such file", NULL);
        return;
    }
    fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        gw_reply_error(r, 404, "not_found", "no such file", NULL);
        return;
    }
    r->status = 200;
    r->content_type = mime_of(full);
    r->fd = fd;
    r->fd_size = (size_t)st.st_size;
}
