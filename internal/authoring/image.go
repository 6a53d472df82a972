package authoring

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/jpeg"
	"image/png"
	"path"
	"strings"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // registers the WebP decoder with image.Decode

	"github.com/xuetang-edu/xuetang/internal/course"
)

// Limits of an image uploaded in the editor.
const (
	// MaxImageUpload is the most an upload may send; a phone photo fits.
	MaxImageUpload = 5 << 20
	// MaxImagePixels is checked from the header before decoding: a small
	// PNG can claim a canvas that would take gigabytes once decoded.
	MaxImagePixels = 40_000_000
	// MaxImageWidth is as wide as a lesson column ever shows an image;
	// wider ones are scaled down, which also keeps them small for phones.
	MaxImageWidth = 1600
)

// ImageError is an upload that is not an acceptable image: nothing was
// stored. Key is a translation key; Line and Detail locate an SVG problem.
type ImageError struct {
	Key    string
	Line   int
	Detail string
}

func (e *ImageError) Error() string { return "image refused: " + e.Key + " " + e.Detail }

// safeImage is an upload made fit to ship in a package: raster images are
// decoded and encoded again, which drops EXIF (GPS positions of phone
// photos included) and anything appended to the file; SVG passes the
// package allow-list unchanged.
type safeImage struct {
	ext, contentType string
	data             []byte
}

func processImage(name string, data []byte) (*safeImage, error) {
	if isSVG(name, data) {
		if len(data) > course.MaxAssetBytes {
			return nil, &ImageError{Key: "author.error.image_too_large"}
		}
		if line, msg := course.CheckSVG(data); msg != "" {
			return nil, &ImageError{Key: "author.error.svg_refused", Line: line, Detail: msg}
		}
		return &safeImage{ext: ".svg", contentType: "image/svg+xml", data: data}, nil
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || (format != "png" && format != "jpeg" && format != "webp") {
		return nil, &ImageError{Key: "author.error.not_image"}
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return nil, &ImageError{Key: "author.error.image_pixels"}
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, &ImageError{Key: "author.error.not_image"}
	}
	if b := img.Bounds(); b.Dx() > MaxImageWidth {
		h := max(1, b.Dy()*MaxImageWidth/b.Dx())
		dst := image.NewRGBA(image.Rect(0, 0, MaxImageWidth, h))
		draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
		img = dst
	}
	opaque := isOpaque(img)
	var out safeImage
	var buf bytes.Buffer
	if format == "jpeg" || (format == "webp" && opaque) {
		// Photos: JPEG keeps them small. WebP cannot be written by the
		// standard library, and every browser reads JPEG and PNG.
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
		out = safeImage{ext: ".jpg", contentType: "image/jpeg"}
	} else {
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img)
		out = safeImage{ext: ".png", contentType: "image/png"}
		if err == nil && buf.Len() > course.MaxAssetBytes && opaque {
			// A photograph saved as PNG: as JPEG it fits.
			buf.Reset()
			err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
			out = safeImage{ext: ".jpg", contentType: "image/jpeg"}
		}
	}
	if err != nil {
		return nil, err
	}
	if buf.Len() > course.MaxAssetBytes {
		return nil, &ImageError{Key: "author.error.image_too_large"}
	}
	out.data = buf.Bytes()
	return &out, nil
}

func isSVG(name string, data []byte) bool {
	if strings.EqualFold(path.Ext(name), ".svg") {
		return true
	}
	head := bytes.TrimLeft(data[:min(len(data), 512)], " \t\r\n\ufeff")
	return bytes.HasPrefix(head, []byte("<?xml")) || bytes.HasPrefix(head, []byte("<svg"))
}

func isOpaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// assetName is where an image is kept in the package: a readable stem from
// the uploaded name and a hash of the bytes, so two images never share a
// path and uploading the same one twice stores it once.
func assetName(uploaded string, img *safeImage) string {
	stem := strings.ToLower(strings.TrimSuffix(path.Base(strings.ReplaceAll(uploaded, `\`, "/")), path.Ext(uploaded)))
	var b strings.Builder
	dash := false
	for _, r := range stem {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		s = "image"
	}
	sum := sha256.Sum256(img.data)
	return "assets/" + s + "-" + hex.EncodeToString(sum[:5]) + img.ext
}
