{#-
    The free-mail (public webmail) domains as a SQL literal list, `('gmail.com', 'qq.com', ...)`, for
    `<domain> in {{ free_mail_domains() }}`. The one list is `[mail] free_mail_domains` of rapport.toml,
    passed as the var `mail_free_mail_domains` (the mail importer reads the same key): matching is on the
    exact, lower-case domain. (`or []`: while dbt parses a project without --vars, var() gives none; a
    model compiled without the var still fails, as it should.)
-#}
{% macro free_mail_domains() -%}
    {{ who_knows_whom_literal_list(var('mail_free_mail_domains') or []) }}
{%- endmacro %}
