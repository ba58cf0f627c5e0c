#!/usr/bin/env bash
# The migration scenario (migration.sh) with the controller's sequential
# switch (`--switch sequential`: the target is authorized once the source
# confirmed it stopped), measured in the same run as the default switch
# (both agents told to act at one moment) to justify the order.
#   RESULT handoff method=odin-sequential lost=.. dup=.. max_gap_ms=.. background_gap_ms=.. median_gap_ms=..
# radios: 3
# timeout: 400
ODIN_SWITCH=sequential exec bash "$(dirname "$0")/migration.sh"
