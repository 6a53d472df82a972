package main

import (
	"bytes"
	"net"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	qr "github.com/piglig/go-qr"

	"github.com/xuetang-edu/xuetang/internal/config"
)

func ipNet(s string) net.Addr {
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	n.IP = ip
	return n
}

func TestLanIPv4(t *testing.T) {
	ifs := []netInterface{
		{Up: true, Loopback: true, Addrs: []net.Addr{ipNet("127.0.0.1/8"), ipNet("::1/128")}},
		{Up: true, Addrs: []net.Addr{ipNet("203.0.113.7/24"), ipNet("fe80::1/64"), ipNet("2001:db8::5/64")}},
		{Up: false, Addrs: []net.Addr{ipNet("10.9.9.9/8")}}, // a cable unplugged
		{Up: true, Addrs: []net.Addr{ipNet("169.254.3.4/16"), ipNet("192.168.1.20/24"), &net.IPAddr{IP: net.ParseIP("10.0.0.2")}}},
		{Up: true, Addrs: []net.Addr{ipNet("10.1.2.3/8")}},
	}
	var got []string
	for _, ip := range lanIPv4(ifs) {
		got = append(got, ip.String())
	}
	if want := []string{"192.168.1.20", "10.1.2.3", "203.0.113.7"}; !reflect.DeepEqual(got, want) {
		t.Errorf("lanIPv4 = %v, want %v", got, want)
	}

	for _, c := range []struct {
		bound string
		want  []string
	}{
		{"0.0.0.0:8080", []string{"http://192.168.1.20:8080", "http://10.1.2.3:8080", "http://203.0.113.7:8080"}},
		{"[::]:9000", []string{"http://192.168.1.20:9000", "http://10.1.2.3:9000", "http://203.0.113.7:9000"}},
		{"127.0.0.1:8080", nil},
		{"192.168.1.20:8080", nil},
	} {
		addr, err := net.ResolveTCPAddr("tcp", c.bound)
		if err != nil {
			t.Fatal(err)
		}
		if got := lanURLs(addr, ifs); !reflect.DeepEqual(got, c.want) {
			t.Errorf("lanURLs(%s) = %v, want %v", c.bound, got, c.want)
		}
	}
	if got := lanURLs(&net.TCPAddr{IP: net.IPv4zero, Port: 80}, ifs[:1]); got != nil {
		t.Errorf("only loopback: %v", got)
	}
}

// TestTerminalQR reads the drawn code back, module by module, and compares
// it with the encoder's matrix and a light quiet zone.
func TestTerminalQR(t *testing.T) {
	const url = "http://192.168.1.20:8080"
	text, err := terminalQR(url)
	if err != nil {
		t.Fatal(err)
	}
	code, err := qr.EncodeText(url, qr.Low)
	if err != nil {
		t.Fatal(err)
	}
	n, quiet := code.Size(), 2
	side := n + 2*quiet
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != (side+1)/2 {
		t.Fatalf("%d lines for %d modules", len(lines), side)
	}
	for y, line := range lines {
		if utf8.RuneCountInString(line) != side {
			t.Fatalf("line %d is %d wide, want %d", y, utf8.RuneCountInString(line), side)
		}
		for x, r := range []rune(line) {
			var top, bottom bool
			switch r {
			case '█':
				top, bottom = true, true
			case '▀':
				top = true
			case '▄':
				bottom = true
			case ' ':
			default:
				t.Fatalf("unexpected %q", r)
			}
			for dy, light := range []bool{top, bottom} {
				mx, my := x-quiet, 2*y+dy-quiet
				if 2*y+dy >= side {
					if light {
						t.Errorf("drawn below the code at %d,%d", x, 2*y+dy)
					}
					continue
				}
				want := mx < 0 || my < 0 || mx >= n || my >= n || !code.Module(mx, my)
				if light != want {
					t.Fatalf("module %d,%d light=%v, want %v", mx, my, light, want)
				}
			}
		}
	}

	var b bytes.Buffer
	if err := lanBanner(&b, []string{url, "http://10.0.0.2:8080"}); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, "  http://10.0.0.2:8080\n") || !strings.Contains(out, "扫码打开 "+url+"\n"+text) {
		t.Errorf("banner:\n%s", out)
	}
	b.Reset()
	if lanBanner(&b, nil); b.Len() != 0 {
		t.Errorf("banner without addresses: %q", b.String())
	}
}

// TestServeLoopbackNoBanner: on loopback (as every test listens) nothing is
// announced, neither on the console nor in the log.
func TestServeLoopbackNoBanner(t *testing.T) {
	env := serveEnv(t)
	cfg, err := config.FromEnv(mapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	var console lockedBuffer
	_, logs := startServe(t, cfg, serveHooks{console: &console})
	if console.String() != "" || strings.Contains(logs.String(), "reachable on the LAN") {
		t.Errorf("announced a loopback server: console %q, log %s", console.String(), logs)
	}
}
