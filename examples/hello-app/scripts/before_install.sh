#!/usr/bin/env bash
set -eu
mkdir -p "$BATON_INSTANCE_ROOT/var/run" "$BATON_INSTANCE_ROOT/var/log"
echo "$LIFECYCLE_EVENT for deployment $DEPLOYMENT_ID of $APPLICATION_NAME to $DEPLOYMENT_GROUP_NAME"
