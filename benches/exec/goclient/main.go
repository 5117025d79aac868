// The Go anchor for benches/exec/run.sh: one command on N devices at a concurrency, key
// auth, known_hosts checked, on golang.org/x/crypto/ssh. Built offline from Debian's
// golang-go and golang-golang-x-crypto-dev (GO111MODULE=off GOPATH=/usr/share/gocode).
// Prints one JSON line: devices, ok, wall_s; the script adds the process's CPU time.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func main() {
	base := flag.String("base", "127.24.0.1", "first device address")
	count := flag.Int("count", 1000, "devices")
	port := flag.Int("port", 2222, "port")
	conc := flag.Int("concurrency", 200, "sessions at once")
	user := flag.String("user", "admin", "user")
	keyFile := flag.String("key", "", "private key")
	knownHosts := flag.String("known-hosts", "", "known_hosts")
	kex := flag.String("kex", "", "key exchange (empty: the library's default)")
	command := flag.String("command", "uname -a", "command")
	flag.Parse()

	pem, err := os.ReadFile(*keyFile)
	check(err)
	signer, err := ssh.ParsePrivateKey(pem)
	check(err)
	hostKeys, err := knownhosts.New(*knownHosts)
	check(err)
	config := &ssh.ClientConfig{
		User:            *user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: hostKeys,
		Timeout:         10 * time.Second,
	}
	if *kex != "" {
		config.KeyExchanges = []string{*kex}
	}
	first := net.ParseIP(*base).To4()
	start := uint32(first[0])<<24 | uint32(first[1])<<16 | uint32(first[2])<<8 | uint32(first[3])

	var ok int64
	jobs := make(chan int)
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				a := start + uint32(i)
				ip := net.IPv4(byte(a>>24), byte(a>>16), byte(a>>8), byte(a))
				addr := net.JoinHostPort(ip.String(), strconv.Itoa(*port))
				if run(addr, config, *command) {
					atomic.AddInt64(&ok, 1)
				}
			}
		}()
	}
	for i := 0; i < *count; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	wall := time.Since(t0).Seconds()
	out, _ := json.Marshal(map[string]interface{}{
		"client": "go x/crypto/ssh", "devices": *count, "ok": ok, "wall_s": wall,
	})
	fmt.Println(string(out))
}

func run(addr string, config *ssh.ClientConfig, command string) bool {
	client, err := ssh.Dial("tcp", addr, config)
	if err != nil {
		fmt.Fprintln(os.Stderr, addr, err)
		return false
	}
	defer client.Close()
	session, err := client.NewSession()
	if err != nil {
		fmt.Fprintln(os.Stderr, addr, err)
		return false
	}
	defer session.Close()
	var out bytes.Buffer
	session.Stdout = &out
	if err := session.Run(command); err != nil {
		fmt.Fprintln(os.Stderr, addr, err)
		return false
	}
	return out.Len() > 0
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
