#!/bin/sh
# Fills a deploy/nginx/*.conf template's {{PLACEHOLDERS}} and prints the result:
#   deploy/nginx/render.sh deploy/nginx/app-lb.conf LISTEN=127.0.0.1:8080 NODE_1=127.0.0.1:8081 \
#     NODE_2=127.0.0.1:8082 MEDIA_NODE=127.0.0.1:8081 > /etc/nginx/conf.d/vetrina-app.conf
# Fails when a placeholder is left without a value. Values must not contain "|".
set -eu
template=$1
shift
script=""
for pair in "$@"; do
  key=${pair%%=*}
  value=${pair#*=}
  script="${script}s|{{${key}}}|${value}|g;"
done
out=$(sed -e "${script:-p;d}" "$template")
if printf '%s\n' "$out" | grep -q '^[^#]*{{[A-Z_0-9]*}}'; then
  echo "render.sh: placeholders left in $template:" $(printf '%s\n' "$out" | grep -o '^[^#]*{{[A-Z_0-9]*}}' | grep -o '{{[A-Z_0-9]*}}' | sort -u) >&2
  exit 1
fi
printf '%s\n' "$out"
