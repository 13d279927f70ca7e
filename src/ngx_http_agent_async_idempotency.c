
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Safe retries of POST /v1/agents/{agent_id}/messages/async
 * (docs/idempotency.md).  A request names the run it makes by its
 * Idempotency-Key header, and by the otids of its messages when it gave
 * every one of them; src/lua/create_run.lua answers the run of a repeat
 * within agent_async_idempotency_window instead of making another, and a
 * conflict when the same names come with another request.  A request's
 * fingerprint is the SHA-1 of its agent id and its body.
 */


#include "ngx_http_agent_async_module.h"

#include <ngx_sha1.h>

#include "aa_id.h"
#include "aa_keys.h"


#define NGX_HTTP_AGENT_ASYNC_IDEM_KEY_MAX  255


static ngx_table_elt_t *ngx_http_agent_async_idem_header(
    ngx_http_request_t *r);
static void ngx_http_agent_async_sha1_hex(char *out, const void *a,
    size_t alen, const void *b, size_t blen);


/*
 * Fills idem for the request: NGX_OK, or NGX_ERROR once answered (*rc:
 * that answer's status) for an Idempotency-Key that cannot be one.
 */

ngx_int_t
ngx_http_agent_async_idem_prepare(ngx_http_request_t *r,
    ngx_http_agent_async_idem_t *idem, u_char *body, size_t len,
    aa_buf_t *otids, ngx_int_t *rc)
{
    char                               hex[41], tenant[AA_CONF_TENANT_MAX + 1];
    char                               agent[AA_ID_MAX];
    u_char                            *p, *last;
    aa_errors_t                        e;
    ngx_uint_t                         n;
    ngx_table_elt_t                   *h;
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_main_conf_t  *amcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);

    n = 0;

    ngx_cpystrn((u_char *) agent, ctx->id.data, ctx->id.len + 1);
    ngx_cpystrn((u_char *) tenant, ctx->tenant.data, ctx->tenant.len + 1);

    ngx_http_agent_async_sha1_hex(idem->fingerprint, agent, ctx->id.len,
                                  body, len);

    *ngx_sprintf((u_char *) idem->window, "%M", amcf->idempotency_window)
        = '\0';

    h = ngx_http_agent_async_idem_header(r);

    if (h != NULL) {
        p = h->value.data;
        last = p + h->value.len;

        while (p < last && *p >= 0x20 && *p < 0x7f) {
            p++;
        }

        if (h->value.len == 0 || p != last
            || h->value.len > NGX_HTTP_AGENT_ASYNC_IDEM_KEY_MAX)
        {
            aa_errors_init(&e);
            aa_errors_add_str(&e, "value_error", "header/idempotency-key",
                              "Value error, Idempotency-Key must be 1 to 255 "
                              "printable ASCII characters",
                              (char *) h->value.data,
                              ngx_min(h->value.len, 256));
            *rc = ngx_http_agent_async_send_invalid(r, &e);
            aa_errors_free(&e);
            return NGX_ERROR;
        }

        ngx_http_agent_async_sha1_hex(hex, h->value.data, h->value.len,
                                      NULL, 0);

        if (aa_key_idempotency(idem->key, AA_KEY_MAX,
                               (char *) amcf->prefix.data, tenant, hex) < 0)
        {
            *rc = ngx_http_agent_async_send_oom(r);
            return NGX_ERROR;
        }

        idem->mode[n++] = 'k';
    }

    if (otids->len) {
        ngx_http_agent_async_sha1_hex(hex, otids->data, otids->len, NULL, 0);

        if (aa_key_otids(idem->otids, AA_KEY_MAX, (char *) amcf->prefix.data,
                         agent, hex) < 0)
        {
            *rc = ngx_http_agent_async_send_oom(r);
            return NGX_ERROR;
        }

        idem->mode[n++] = 'o';
    }

    idem->mode[n] = '\0';
    ctx->idempotent = (n != 0);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async idempotency: \"%s\", fingerprint %s",
                   idem->mode, idem->fingerprint);

    return NGX_OK;
}


/* the first Idempotency-Key header, or NULL */

static ngx_table_elt_t *
ngx_http_agent_async_idem_header(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    static ngx_str_t  name = ngx_string("Idempotency-Key");

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == name.len
            && ngx_strncasecmp(h[i].key.data, name.data, name.len) == 0)
        {
            return &h[i];
        }
    }
}


/* hex SHA-1 of a, "\n", b (b NULL: of a alone), NUL-terminated */

static void
ngx_http_agent_async_sha1_hex(char *out, const void *a, size_t alen,
    const void *b, size_t blen)
{
    u_char      md[20];
    ngx_sha1_t  sha1;

    ngx_sha1_init(&sha1);
    ngx_sha1_update(&sha1, a, alen);

    if (b != NULL) {
        ngx_sha1_update(&sha1, "\n", 1);
        ngx_sha1_update(&sha1, b, blen);
    }

    ngx_sha1_final(md, &sha1);

    *ngx_hex_dump((u_char *) out, md, sizeof(md)) = '\0';
}
