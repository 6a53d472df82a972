package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	qr "github.com/piglig/go-qr"
)

// netInterface is what lanIPv4 needs of a network interface.
type netInterface struct {
	Up, Loopback bool
	Addrs        []net.Addr
}

// systemInterfaces lists this machine's interfaces and their addresses.
func systemInterfaces() ([]netInterface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	out := make([]netInterface, 0, len(ifs))
	for _, i := range ifs {
		addrs, err := i.Addrs()
		if err != nil {
			continue
		}
		out = append(out, netInterface{Up: i.Flags&net.FlagUp != 0, Loopback: i.Flags&net.FlagLoopback != 0, Addrs: addrs})
	}
	return out, nil
}

// lanIPv4 lists the IPv4 addresses phones in the room can use: those of up,
// non-loopback interfaces, private (school and home network) ranges first.
// IPv6 is left out: classroom Wi-Fi rarely routes it and nobody types it.
func lanIPv4(ifs []netInterface) []net.IP {
	var private, other []net.IP
	for _, i := range ifs {
		if !i.Up || i.Loopback {
			continue
		}
		for _, a := range i.Addrs {
			n, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip := n.IP.To4()
			if ip == nil || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() {
				continue
			}
			if ip.IsPrivate() {
				private = append(private, ip)
			} else {
				other = append(other, ip)
			}
		}
	}
	return append(private, other...)
}

// lanURLs are the addresses to announce when the server listens on every
// interface (0.0.0.0 or ::); nil when it listens on one address, which
// then is the only one that works anyway.
func lanURLs(bound net.Addr, ifs []netInterface) []string {
	host, port, err := net.SplitHostPort(bound.String())
	if err != nil {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
		return nil
	}
	var out []string
	for _, ip := range lanIPv4(ifs) {
		out = append(out, "http://"+net.JoinHostPort(ip.String(), port))
	}
	return out
}

// terminalQR draws text as a QR code with half-block characters, two
// modules per character cell, so it fits a laptop terminal. Light modules
// are drawn and dark ones left blank: terminals are dark by default, and a
// quiet zone of light modules lets a phone find the code on any background.
func terminalQR(text string) (string, error) {
	code, err := qr.EncodeText(text, qr.Low)
	if err != nil {
		return "", err
	}
	const quiet = 2
	n := code.Size()
	light := func(x, y int) bool {
		x, y = x-quiet, y-quiet
		return x < 0 || y < 0 || x >= n || y >= n || !code.Module(x, y)
	}
	var b strings.Builder
	side := n + 2*quiet
	for y := 0; y < side; y += 2 {
		for x := 0; x < side; x++ {
			top, bottom := light(x, y), y+1 < side && light(x, y+1)
			switch {
			case top && bottom:
				b.WriteRune('█')
			case top:
				b.WriteRune('▀')
			case bottom:
				b.WriteRune('▄')
			default:
				b.WriteRune(' ')
			}
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// lanBanner tells a teacher at the terminal where the phones should go.
func lanBanner(w io.Writer, urls []string) error {
	if len(urls) == 0 {
		return nil
	}
	code, err := terminalQR(urls[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nPhones and computers on this network can open 同一网络中的手机和电脑可打开:\n")
	for _, u := range urls {
		fmt.Fprintf(w, "  %s\n", u)
	}
	fmt.Fprintf(w, "\nScan to open 扫码打开 %s\n%s\n", urls[0], code)
	return nil
}

// announceLAN logs the LAN addresses when listening on every interface, and
// draws the first as a QR code on the console when there is one.
func announceLAN(bound net.Addr, log *slog.Logger, console io.Writer) {
	ifs, err := systemInterfaces()
	if err != nil {
		log.Warn("cannot list network interfaces", "err", err)
		return
	}
	urls := lanURLs(bound, ifs)
	if len(urls) == 0 {
		return
	}
	log.Info("reachable on the LAN", "urls", urls)
	if console != nil {
		if err := lanBanner(console, urls); err != nil {
			log.Warn("cannot draw the QR code", "err", err)
		}
	}
}
