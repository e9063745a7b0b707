#!/bin/sh
# As the official redis image: arguments that start with "-" (or a .conf file) are redis-server's; protected mode
# is off (the official image compiles it off: in a container the network is the boundary, and with it on, Redis
# refuses every client that is not on loopback when no password is set).
set -e
case "$1" in
  -*|*.conf) set -- redis-server "$@" ;;
esac
if [ "$1" = redis-server ] || [ "$1" = /usr/bin/redis-server ]; then
  set -- "$@" --protected-mode no
fi
exec "$@"
