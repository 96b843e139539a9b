#!/bin/sh
# deploy/Procfile's "nginx": the RTMP edge, the app load balancer and the HLS cache of a one-machine
# setup in one nginx, in the foreground, rendered from deploy/nginx/*.conf into run/nginx/
# (docs/deployment.md, "Starting each part"). Needs INGEST_CALLBACK_SECRET (from .env). Ports:
#   EDGE_RTMP (0.0.0.0:1935)  encoders     CDN_LISTEN (0.0.0.0:8080)  viewers, browsers
#   LB_LISTEN (127.0.0.1:8090) the cache's upstream
#   NODE_1 (127.0.0.1:8081, the media node), NODE_2 (127.0.0.1:8082)
set -eu
cd "$(dirname "$0")/../.."
dir=$PWD/run/nginx
mkdir -p "$dir/cache" "$dir/temp"
r=deploy/nginx/render.sh
node1=${NODE_1:-127.0.0.1:8081}
sh $r deploy/nginx/rtmp-edge.conf RTMP_LISTEN="${EDGE_RTMP:-0.0.0.0:1935}" VETRINA_URL="http://$node1" VETRINA_ADDR=127.0.0.1 SECRET="$INGEST_CALLBACK_SECRET" > "$dir/rtmp.conf"
sh $r deploy/nginx/app-lb.conf LISTEN="${LB_LISTEN:-127.0.0.1:8090}" NODE_1="$node1" NODE_2="${NODE_2:-127.0.0.1:8082}" MEDIA_NODE="$node1" > "$dir/app.conf"
sh $r deploy/nginx/hls-cache.conf LISTEN="${CDN_LISTEN:-0.0.0.0:8080}" VETRINA_HTTP="${LB_LISTEN:-127.0.0.1:8090}" CACHE_DIR="$dir/cache" > "$dir/cdn.conf"
cat > "$dir/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
worker_processes 1;
pid $dir/nginx.pid;
error_log stderr;
events {}
include $dir/rtmp.conf;
http {
    access_log off;
    client_body_temp_path $dir/temp/body;
    proxy_temp_path $dir/temp/proxy;
    fastcgi_temp_path $dir/temp/fastcgi;
    uwsgi_temp_path $dir/temp/uwsgi;
    scgi_temp_path $dir/temp/scgi;
    include $dir/app.conf;
    include $dir/cdn.conf;
}
CONF
exec /usr/sbin/nginx -e stderr -p "$dir" -c "$dir/nginx.conf" -g "daemon off;"
