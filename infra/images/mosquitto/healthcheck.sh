#!/bin/bash
# Healthy when Mosquitto accepts TCP connections on the first listener of its configuration
# (what infra/k8s/mosquitto's probes check): without the client certificate a TLS listener
# wants, a TCP connection is as far as a check gets.
conf="${MOSQUITTO_CONFIG:-/mosquitto/config/mosquitto.conf}"
port="$(awk '$1 == "listener" { print $2; exit }' "$conf" 2>/dev/null)"
exec 3<>"/dev/tcp/127.0.0.1/${port:-1883}"
