;; The training step's kernels that run outside the ONNX graph (docs/engine.md, "The optimizer").
;;
;; Built by `npm run build:wasm` (scripts/build-wasm.ts, wabt) into kernels-binary.ts; a test
;; rebuilds it and checks that the committed bytes are what this source gives.
;;
;; Every function works on 4 float32 lanes at a time (WebAssembly SIMD) and takes byte addresses
;; into the imported memory; counts are in elements. Each lane's arithmetic is plain IEEE float32
;; (no fused multiply-add), so the results are the same on every engine, bit for bit, and equal
;; to a TypeScript reference that rounds each operation with Math.fround.
(module
  (import "env" "memory" (memory 1))

  ;; AdamW after clip_grad_norm_, as torch.optim.AdamW (PyTorch 2.x, single-tensor path, amsgrad
  ;; off) spells it, one float32 rounding per operation:
  ;;
  ;;   g = g·coef                         clip_grad_norm_ (coef = 1 when clipping is off)
  ;;   p = p·decay                        param.mul_(1 − lr·wd)   (decay = 1: no weight decay)
  ;;   m = m + w1·(g − m)                 exp_avg.lerp_(g, 1 − β1)
  ;;   v = v·beta2 + (w2·g)·g             exp_avg_sq.mul_(β2).addcmul_(g, g, value=1 − β2)
  ;;   p = p + (negStep·m) / (√v / bc2sqrt + eps)
  ;;                                      param.addcdiv_(m, √v / √(1 − β2ᵗ) + eps, value=−lr/(1 − β1ᵗ))
  ;;
  ;; over n elements at p, g, m, v (n a multiple of 4, addresses 16-byte aligned). g is read only.
  (func (export "adamw")
    (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
    (param $coef f32) (param $decay f32) (param $w1 f32) (param $beta2 f32) (param $w2 f32)
    (param $bc2sqrt f32) (param $eps f32) (param $negStep f32)
    (local $k i32)
    (local $coef4 v128) (local $decay4 v128) (local $w14 v128) (local $beta24 v128) (local $w24 v128)
    (local $bc2sqrt4 v128) (local $eps4 v128) (local $negStep4 v128)
    (local $gv v128) (local $mv v128) (local $vv v128)
    (local.set $coef4 (f32x4.splat (local.get $coef)))
    (local.set $decay4 (f32x4.splat (local.get $decay)))
    (local.set $w14 (f32x4.splat (local.get $w1)))
    (local.set $beta24 (f32x4.splat (local.get $beta2)))
    (local.set $w24 (f32x4.splat (local.get $w2)))
    (local.set $bc2sqrt4 (f32x4.splat (local.get $bc2sqrt)))
    (local.set $eps4 (f32x4.splat (local.get $eps)))
    (local.set $negStep4 (f32x4.splat (local.get $negStep)))
    (local.set $k (i32.shr_u (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $k)))
        (local.set $gv (f32x4.mul (v128.load (local.get $g)) (local.get $coef4)))
        (local.set $mv (v128.load (local.get $m)))
        (local.set $mv
          (f32x4.add (local.get $mv) (f32x4.mul (local.get $w14) (f32x4.sub (local.get $gv) (local.get $mv)))))
        (local.set $vv
          (f32x4.add
            (f32x4.mul (v128.load (local.get $v)) (local.get $beta24))
            (f32x4.mul (f32x4.mul (local.get $w24) (local.get $gv)) (local.get $gv))))
        (v128.store (local.get $m) (local.get $mv))
        (v128.store (local.get $v) (local.get $vv))
        (v128.store (local.get $p)
          (f32x4.add
            (f32x4.mul (v128.load (local.get $p)) (local.get $decay4))
            (f32x4.div
              (f32x4.mul (local.get $negStep4) (local.get $mv))
              (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vv)) (local.get $bc2sqrt4)) (local.get $eps4)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $m (i32.add (local.get $m) (i32.const 16)))
        (local.set $v (i32.add (local.get $v) (i32.const 16)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $next))))

  ;; Σ x² over n elements at x (n a multiple of 4, the address 16-byte aligned), each square and
  ;; the running sums in float64 (two lanes of two accumulators): the gradient norm of clipping.
  (func (export "sum_squares") (param $x i32) (param $n i32) (result f64)
    (local $k i32) (local $v v128) (local $lo v128) (local $hi v128) (local $acc0 v128) (local $acc1 v128)
    (local.set $k (i32.shr_u (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $k)))
        (local.set $v (v128.load (local.get $x)))
        (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
        (local.set $hi
          (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
        (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.mul (local.get $lo) (local.get $lo))))
        (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.mul (local.get $hi) (local.get $hi))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $next)))
    (local.set $acc0 (f64x2.add (local.get $acc0) (local.get $acc1)))
    (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0))))

  ;; A dropout keep-mask: out[i] = scale when draw(i) ≥ threshold (unsigned), else 0, for
  ;; i < n rounded up to a multiple of 4. draw(i) is mulberry32's (i + 1)-th output from `seed`:
  ;; its state after i + 1 steps is seed + (i + 1)·0x6d2b79f5, so the lanes draw independently,
  ;; exactly as fillMask in dropout-masks.ts does one after the other.
  (func (export "dropout_mask")
    (param $out i32) (param $n i32) (param $seed i32) (param $threshold i32) (param $scale f32)
    (local $k i32) (local $state v128) (local $t v128) (local $step v128) (local $limit v128) (local $scale4 v128)
    ;; lanes i = 0..3: seed + (i + 1)·C
    (local.set $state
      (i32x4.add
        (i32x4.splat (local.get $seed))
        (v128.const i32x4 0x6d2b79f5 0xda56f3ea 0x47826ddf 0xb4ade7d4)))
    (local.set $step (i32x4.splat (i32.const 0xb4ade7d4)))
    (local.set $limit (i32x4.splat (local.get $threshold)))
    (local.set $scale4 (f32x4.splat (local.get $scale)))
    (local.set $k (i32.shr_u (i32.add (local.get $n) (i32.const 3)) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $k)))
        ;; t = imul(s ^ (s >>> 15), s | 1)
        (local.set $t
          (i32x4.mul
            (v128.xor (local.get $state) (i32x4.shr_u (local.get $state) (i32.const 15)))
            (v128.or (local.get $state) (i32x4.splat (i32.const 1)))))
        ;; t = (t + imul(t ^ (t >>> 7), t | 61)) ^ t
        (local.set $t
          (v128.xor
            (i32x4.add
              (local.get $t)
              (i32x4.mul
                (v128.xor (local.get $t) (i32x4.shr_u (local.get $t) (i32.const 7)))
                (v128.or (local.get $t) (i32x4.splat (i32.const 61)))))
            (local.get $t)))
        ;; draw = t ^ (t >>> 14); keep where draw ≥ threshold
        (v128.store (local.get $out)
          (v128.and
            (i32x4.ge_u (v128.xor (local.get $t) (i32x4.shr_u (local.get $t) (i32.const 14))) (local.get $limit))
            (local.get $scale4)))
        (local.set $state (i32x4.add (local.get $state) (local.get $step)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $next))))
)
