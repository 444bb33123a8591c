#!/bin/sh
# Example --acl-check-cmd hook. Called without a shell as:
#   acl-check.sh <action-so-far> <user-json> <host-json>
# Print `allow` or `deny` to replace the decision; anything else (or nothing,
# an error, or taking more than 2 s) keeps the ACLs' decision.
# This one denies every host whose name starts with "prod-" outside office hours.
action="$1"; host_json="$3"
hour=$(date +%H)
case "$host_json" in
  *'"Name":"prod-'*) if [ "$hour" -lt 8 ] || [ "$hour" -ge 19 ]; then echo deny; exit 0; fi ;;
esac
echo "$action"
