package cloudprovider

import (
	"sync"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
	k8scloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"
)

// eventComponent is the source component of the provider's own Events.
const eventComponent = "alicloud-cloud-controller-manager"

// eventSink is a record.EventRecorder that capabilities get at construction
// time, before the framework hands us a Kubernetes client in Initialize.
// Until then (and in unit tests without a cluster) events are only logged.
type eventSink struct {
	mu  sync.RWMutex
	rec record.EventRecorder
}

var _ record.EventRecorder = (*eventSink)(nil)

// start connects the sink to the API server through the framework's client
// builder; events recorded from now on are written as Event objects.
func (s *eventSink) start(builder k8scloudprovider.ControllerClientBuilder, stop <-chan struct{}) {
	client, err := builder.Client(providerClientName)
	if err != nil {
		klog.ErrorS(err, "No Kubernetes client for events; events will only be logged")
		return
	}
	b := record.NewBroadcaster(record.WithContext(contextFromStop(stop)))
	b.StartStructuredLogging(3)
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	rec := b.NewRecorder(scheme.Scheme, v1.EventSource{Component: eventComponent})
	s.mu.Lock()
	s.rec = rec
	s.mu.Unlock()
}

func (s *eventSink) get() record.EventRecorder {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rec
}

// Event implements record.EventRecorder.
func (s *eventSink) Event(obj runtime.Object, eventtype, reason, message string) {
	if r := s.get(); r != nil {
		r.Event(obj, eventtype, reason, message)
		return
	}
	klog.InfoS("Event", "type", eventtype, "reason", reason, "message", message, "object", klog.KObj(metaOf(obj)))
}

// Eventf implements record.EventRecorder.
func (s *eventSink) Eventf(obj runtime.Object, eventtype, reason, messageFmt string, args ...interface{}) {
	if r := s.get(); r != nil {
		r.Eventf(obj, eventtype, reason, messageFmt, args...)
		return
	}
	klog.InfoS("Event", "type", eventtype, "reason", reason, "message", sprintf(messageFmt, args...), "object", klog.KObj(metaOf(obj)))
}

// AnnotatedEventf implements record.EventRecorder.
func (s *eventSink) AnnotatedEventf(obj runtime.Object, annotations map[string]string, eventtype, reason, messageFmt string, args ...interface{}) {
	if r := s.get(); r != nil {
		r.AnnotatedEventf(obj, annotations, eventtype, reason, messageFmt, args...)
		return
	}
	s.Eventf(obj, eventtype, reason, messageFmt, args...)
}
