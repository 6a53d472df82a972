package authoring

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image"
	"image/png"
	"strings"
	"testing"
)

func TestProcessImage(t *testing.T) {
	// A 1x1 lossless WebP, the one browsers' feature checks use.
	webp, _ := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	wide := func() []byte {
		var buf bytes.Buffer
		_ = png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, 3200, 100)))
		return buf.Bytes()
	}()
	cases := []struct {
		name, file string
		data       []byte
		ext        string
		w, h       int
		refused    string
	}{
		{name: "webp", file: "a.webp", data: webp, ext: ".png", w: 1, h: 1},
		{name: "wide png scaled", file: "b.png", data: wide, ext: ".png", w: 1600, h: 50},
		{name: "svg by content", file: "c.bin", data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), ext: ".svg"},
		{name: "svg with handler", file: "d.svg", data: []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>`), refused: "author.error.svg_refused"},
		{name: "truncated png", file: "e.png", data: wide[:100], refused: "author.error.not_image"},
		{name: "empty", file: "f.png", data: nil, refused: "author.error.not_image"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			img, err := processImage(tc.file, tc.data)
			if tc.refused != "" {
				var ie *ImageError
				if !errors.As(err, &ie) || ie.Key != tc.refused {
					t.Fatalf("= %v, want %s", err, tc.refused)
				}
				return
			}
			if err != nil || img.ext != tc.ext {
				t.Fatalf("= %+v, %v", img, err)
			}
			if tc.ext == ".svg" {
				return
			}
			cfg, _, err := image.DecodeConfig(bytes.NewReader(img.data))
			if err != nil || cfg.Width != tc.w || cfg.Height != tc.h {
				t.Errorf("stored %dx%d (%v), want %dx%d", cfg.Width, cfg.Height, err, tc.w, tc.h)
			}
		})
	}
}

func TestAssetName(t *testing.T) {
	img := &safeImage{ext: ".png", data: []byte{1, 2, 3}}
	for in, prefix := range map[string]string{
		"Holiday Photo.JPG": "assets/holiday-photo-", `C:\fakepath\Map.png`: "assets/map-", "照片.png": "assets/image-",
		strings.Repeat("a", 90) + ".png": "assets/" + strings.Repeat("a", 40) + "-",
	} {
		got := assetName(in, img)
		if !strings.HasPrefix(got, prefix) || !strings.HasSuffix(got, ".png") || len(got) != len(prefix)+10+4 {
			t.Errorf("assetName(%q) = %q, want %s + 10 hex + .png", in, got, prefix)
		}
	}
}
