package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/unguessable/secrets/deliver"
	"github.com/unguessable/secrets/store"
)

// deliverRequest is the "deliver" member of POST /v1/codes and POST
// /v1/tokens: with it, the service sends the secret itself and the answer
// omits it.
type deliverRequest struct {
	Channel  string         `json:"channel"`
	To       string         `json:"to"`
	Template string         `json:"template"`
	Locale   string         `json:"locale"`
	Data     jsontext.Value `json:"data"`
}

// deliveryRef is the "delivery" member of an answer to an issue with
// deliver.
type deliveryRef struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

func deliveryOf(id string) *deliveryRef {
	if id == "" {
		return nil
	}
	return &deliveryRef{ID: id, Status: store.DeliveryQueued}
}

// outbox is the service's delivery: the deliverer, the store's outbox and
// the dispatcher that Serve runs.
type outbox struct {
	d     *deliver.Deliverer
	ob    store.Outbox
	disp  *deliver.Dispatcher
	count *prometheus.CounterVec
}

// newOutbox sets up delivery for opts, or returns nil if it has no
// Deliverer. onFinish, if set, also receives each attempt's outcome.
func newOutbox(opts Options, onError func(error), onFinish func(channel, status string)) (*outbox, error) {
	if opts.Deliverer == nil {
		return nil, nil
	}
	ob, ok := opts.Store.(store.Outbox)
	if !ok {
		return nil, fmt.Errorf("%w: the store %T keeps no outbox, so it cannot deliver", ErrConfig, opts.Store)
	}
	o := &outbox{d: opts.Deliverer, ob: ob, count: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "secrets_delivery_attempts_total",
		Help: "Delivery attempts, by channel (email, webhook) and the status they left the job in (sent, queued for a retry, failed, expired).",
	}, []string{"channel", "status"})}
	if err := opts.Registry.Register(o.count); err != nil {
		return nil, fmt.Errorf("%w: metrics: %w", ErrConfig, err)
	}
	do := opts.Dispatch
	do.Clock = opts.Clock
	do.OnError = onError
	do.OnFinish = func(channel, status string) {
		o.count.WithLabelValues(channel, status).Inc()
		if onFinish != nil {
			onFinish(channel, status)
		}
	}
	o.disp = opts.Deliverer.Dispatcher(ob, do)
	return o, nil
}

// enqueue checks the deliver member of an issue for a secret of kind and
// purpose.
func (s *Server) enqueue(kind, purpose string, r *deliverRequest) (store.Enqueue, error) {
	if s.outbox == nil {
		return nil, invalid("deliver", "this service delivers nothing: it was started without --smtp or --webhook")
	}
	enq, err := s.outbox.d.Enqueue(kind, purpose, deliver.Request{Channel: r.Channel, To: r.To, Template: r.Template, Locale: r.Locale, Data: nullToNil(r.Data)})
	var ie *store.InvalidError
	if errors.As(err, &ie) {
		return nil, invalid(ie.Field, "%s %s", ie.Field, ie.Reason)
	}
	return enq, err
}

// queued wakes the dispatcher after a job was queued.
func (s *Server) queued() {
	if s.outbox != nil {
		s.outbox.disp.Notify()
	}
}

// runDispatcher runs the dispatcher until ctx is done, if the service
// delivers; the returned function waits for it to stop.
func (s *Server) runDispatcher(ctx context.Context) (wait func()) {
	if s.outbox == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.outbox.disp.Run(ctx)
	}()
	return func() { <-done }
}

type deliveryResponse struct {
	ID        string     `json:"id"`
	Channel   string     `json:"channel"`
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error,omitzero"`
	CreatedAt timestamp  `json:"created_at"`
	SentAt    *timestamp `json:"sent_at,omitzero"`
}

func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request) error {
	if s.outbox == nil {
		return notFound("no delivery with this id: this service delivers nothing")
	}
	d, err := deliver.Lookup(r.Context(), s.outbox.ob, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no delivery with this id")
	}
	if err != nil {
		return err
	}
	out := deliveryResponse{ID: d.ID, Channel: d.Channel, Status: d.Status, Attempts: d.Attempts, LastError: d.LastError, CreatedAt: timestamp(d.CreatedAt)}
	if !d.SentAt.IsZero() {
		t := timestamp(d.SentAt)
		out.SentAt = &t
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
