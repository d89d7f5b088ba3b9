"""Training the built-in models (needs torch; scikit-image adds sample photos)."""
