#!/usr/bin/env bash
# The migration scenario (migration.sh) across channels: ap1 on channel 1,
# ap2 on channel 6. At each switch the source tells the client to move (a
# Channel Switch Announcement action frame, and the element in its
# beacon) while the target, on the other channel, starts serving it.
#   RESULT handoff method=odin-xchan lost=.. dup=.. max_gap_ms=.. background_gap_ms=.. median_gap_ms=..
# radios: 3
# timeout: 400
ODIN_XCHAN=1 exec bash "$(dirname "$0")/migration.sh"
