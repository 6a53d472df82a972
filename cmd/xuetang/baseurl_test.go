package main

import (
	"net"
	"testing"
)

func ipnet(s string) net.Addr {
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	n.IP = ip
	return n
}

// Certificates printed from a server listening on every interface carried
// http://0.0.0.0:8080/verify/... links; they must name an address others reach.
func TestDefaultBaseURL(t *testing.T) {
	lan := []net.Addr{ipnet("127.0.0.1/8"), ipnet("::1/128"), ipnet("fe80::1/64"), ipnet("203.0.113.7/24"), ipnet("192.168.1.20/24")}
	cases := []struct {
		bound string
		addrs []net.Addr
		want  string
		lanOK bool
	}{
		{"0.0.0.0:8080", lan, "http://192.168.1.20:8080", true},
		{"[::]:8080", lan, "http://192.168.1.20:8080", true},
		{"0.0.0.0:8080", []net.Addr{ipnet("127.0.0.1/8"), ipnet("203.0.113.7/24")}, "http://203.0.113.7:8080", true},
		{"0.0.0.0:8080", []net.Addr{ipnet("127.0.0.1/8"), ipnet("2001:db8::5/64")}, "http://[2001:db8::5]:8080", true},
		{"0.0.0.0:8080", []net.Addr{ipnet("127.0.0.1/8"), ipnet("fe80::1/64")}, "http://127.0.0.1:8080", false},
		{"127.0.0.1:8080", lan, "http://127.0.0.1:8080", true},
		{"10.1.2.3:9000", lan, "http://10.1.2.3:9000", true},
	}
	for _, tc := range cases {
		addr, err := net.ResolveTCPAddr("tcp", tc.bound)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := defaultBaseURL(addr, tc.addrs)
		if got != tc.want || ok != tc.lanOK {
			t.Errorf("%s: %q, %v; want %q, %v", tc.bound, got, ok, tc.want, tc.lanOK)
		}
	}
}
