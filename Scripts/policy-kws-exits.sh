#!/usr/bin/env bash
# Issue 16 measurement: retrofitted exits on the ML-zoo DS-CNN-M and -S (fp32), calibrated on the Speech
# Commands val split, measured once on test, plus the policy timeline over a scripted device trace.
# Needs ../shared (models and datasets/kws); writes everything under out/policy/. Each step is bounded
# (heads train in ~1-3 minutes on 2 cores; MFCC features are cached in out/cache).
#
#   Scripts/policy-kws-exits.sh            # both models, head pool-dense-dense, 40 epochs
#   HEAD=pool-dense EPOCHS=20 Scripts/policy-kws-exits.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${EDGEWISE_SHARED:-../shared}
DATA=$SHARED/datasets
ZOO=$SHARED/models/ml-zoo/models/keyword_spotting
HEAD=${HEAD:-pool-dense-dense}
EPOCHS=${EPOCHS:-40}
BIN=.build/release/edgewise
swift build -c release --product edgewise
mkdir -p out/policy
for size in m s; do
  case $size in m) dir=ds_cnn_medium;; s) dir=ds_cnn_small;; esac
  base=out/policy/ds_cnn_$size
  nice -n 10 $BIN import $ZOO/$dir/model_package_tf/model_archive/TFLite/tflite_fp32/ds_cnn_$size.tflite -o $base.edgewise
  # Blocks 1 and 2 of the ML-zoo DS-CNN end at op3.conv2d and op5.conv2d (`edgewise info` lists the nodes).
  nice -n 10 $BIN exits add $base.edgewise -o ${base}_exits.edgewise --after op3.conv2d,op5.conv2d \
    --head $HEAD --epochs $EPOCHS --learning-rate 0.01 --data $DATA
  nice -n 10 $BIN calibrate ${base}_exits.edgewise --data $DATA --split val --evaluate test
done
# The policy over a scripted day: battery drain, a load spike, a thermal event, back to mains.
nice -n 10 $BIN policy simulate out/policy/ds_cnn_m_exits.edgewise --data $DATA --split test --repeat 4 \
  --device-trace Scripts/policy/battery-drain.csv --svg out/policy/ds_cnn_m_exits.timeline.svg
# Input drift (noise on the second half's features), with and without the drift recalibration.
for flag in "" --no-recalibration; do
  nice -n 10 $BIN policy simulate out/policy/ds_cnn_m_exits.edgewise --data $DATA --split test --repeat 8 --mode balanced \
    --device-trace Scripts/policy/battery-drain.csv --drift-noise 2 $flag --svg out/policy/drift$flag.svg
done
