// Package dns is the shape of github.com/miekg/dns v1.1.24 (GO-2020-0008):
// message ids drawn from math/rand, through a variable that tests can
// replace.
package dns

import (
	"math/rand"
	"sync"
)

type MsgHdr struct {
	Id     uint16
	Opcode int
}

type Msg struct {
	MsgHdr
}

var Id = id // want Id:`weakResult\(math/rand.Rand.Uint32 \(via dns.id\)\)`

var (
	idLock sync.Mutex
	idRand *rand.Rand
)

func id() uint16 {
	idLock.Lock()
	defer idLock.Unlock()
	if idRand == nil {
		idRand = rand.New(rand.NewSource(rand.Int63()))
	}
	return uint16(idRand.Uint32())
}

func (dns *Msg) SetQuestion() *Msg {
	dns.Id = Id() // want `math/rand.Rand.Uint32 \(via id\) reaches DNS message id Id`
	return dns
}

func NewMsg() *Msg { // want NewMsg:`weakResult\(math/rand.Rand.Uint32 \(via dns.id\)\)`
	return &Msg{MsgHdr{Id: id()}} // want `reaches DNS message id Id`
}

func (dns *Msg) SetOpcode() {
	dns.Opcode = rand.Intn(16) // ok: not the id
}
