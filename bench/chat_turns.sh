#!/bin/bash
# A scripted chat, with and without keeping the KV cache between turns (`transformers chat`
# --no-cache-reuse), alternating runs. Prints each run's wall time.
#   bench/chat_turns.sh MODEL [TURNS] [WORDS_PER_TURN] [NEW_TOKENS] [ROUNDS]
# MODEL needs a chat template. The turns are random words from a fixed list (seeded: every run
# gets the same conversation).
set -euo pipefail
model=${1:?usage: bench/chat_turns.sh MODEL [TURNS] [WORDS_PER_TURN] [NEW_TOKENS] [ROUNDS]}
turns=${2:-6} words=${3:-60} new_tokens=${4:-32} rounds=${5:-2}
cli=${TRANSFORMERS_CLI:-build/transformers}
script=$(mktemp)
trap 'rm -f "$script"' EXIT
vocabulary=(the a cat dog ran over hill quickly slowly house tree river mountain blue green red story tell me
            about why how when)
RANDOM=1
for ((t = 0; t < turns; ++t)); do
  line=""
  for ((w = 0; w < words; ++w)); do line+="${vocabulary[RANDOM % ${#vocabulary[@]}]} "; done
  echo "$line" >> "$script"
done
for ((r = 0; r < rounds; ++r)); do
  for mode in "" --no-cache-reuse; do
    start=$(date +%s%N)
    "$cli" chat "$model" --max-new-tokens "$new_tokens" $mode < "$script" > /dev/null
    end=$(date +%s%N)
    ms=$(((end - start) / 1000000))
    printf '%-18s %d.%03d s\n' "${mode:-kept cache}" $((ms / 1000)) $((ms % 1000))
  done
done
