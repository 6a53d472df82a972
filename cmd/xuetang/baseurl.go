package main

import (
	"net"
)

// defaultBaseURL is the public address certificate links and QR codes use
// when XUETANG_BASE_URL is unset: the address the server is bound to, or,
// bound to every interface, this machine's LAN address, since 0.0.0.0 or
// 127.0.0.1 on a printed certificate reaches nobody else. lanOK is false
// when no LAN address was found and loopback was used instead.
func defaultBaseURL(bound net.Addr, addrs []net.Addr) (url string, lanOK bool) {
	host, port, err := net.SplitHostPort(bound.String())
	if err != nil {
		return "http://" + bound.String(), true
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsUnspecified() {
		return "http://" + net.JoinHostPort(host, port), true
	}
	if lan := lanAddress(addrs); lan != nil {
		return "http://" + net.JoinHostPort(lan.String(), port), true
	}
	return "http://" + net.JoinHostPort("127.0.0.1", port), false
}

// lanAddress picks the address other machines most likely reach this one
// at: a private IPv4 (a school or library network) first, then any other
// global unicast IPv4, then a global IPv6.
func lanAddress(addrs []net.Addr) net.IP {
	var public4, global6 net.IP
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() || !n.IP.IsGlobalUnicast() {
			continue
		}
		switch ip4 := n.IP.To4(); {
		case ip4 != nil && ip4.IsPrivate():
			return ip4
		case ip4 != nil && public4 == nil:
			public4 = ip4
		case ip4 == nil && global6 == nil:
			global6 = n.IP
		}
	}
	if public4 != nil {
		return public4
	}
	return global6
}
