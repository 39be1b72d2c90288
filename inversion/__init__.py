"""Image -> code: photo loading and framing, face finding and alignment, LPIPS, encoders and
optimisation. No Qt."""
