package infratest

import (
	"fmt"
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

// Awaited is a resolved output.
type Awaited[T any] struct {
	Value  T
	Known  bool
	Secret bool
}

// AwaitResult waits for out inside a running program (call it from the Run body, never from an
// apply) and converts its value to T. Unlike a WaitGroup it returns errors instead of hanging.
// pulumi.ID converts to string and a non-nil *string to string.
func AwaitResult[T any](ctx *pulumi.Context, out pulumi.Output) (Awaited[T], error) {
	var res Awaited[T]
	r, err := internals.UnsafeAwaitOutput(ctx.Context(), out)
	if err != nil {
		return res, fmt.Errorf("infratest: await: %w", err)
	}
	res.Known, res.Secret = r.Known, r.Secret
	if !r.Known {
		return res, nil
	}
	v, err := convert[T](r.Value)
	if err != nil {
		return res, err
	}
	res.Value = v
	return res, nil
}

// Await waits for out and returns its value; an unknown value is an error.
func Await[T any](ctx *pulumi.Context, out pulumi.Output) (T, error) {
	r, err := AwaitResult[T](ctx, out)
	if err != nil {
		return r.Value, err
	}
	if !r.Known {
		return r.Value, fmt.Errorf("infratest: await: value is unknown")
	}
	return r.Value, nil
}

func convert[T any](v any) (T, error) {
	var zero T
	if t, ok := v.(T); ok {
		return t, nil
	}
	want := reflect.TypeOf((*T)(nil)).Elem()
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return zero, fmt.Errorf("infratest: await: nil value, want %s", want)
	}
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return zero, fmt.Errorf("infratest: await: nil %s, want %s", rv.Type(), want)
		}
		rv = rv.Elem()
	}
	if rv.Type().ConvertibleTo(want) && rv.Kind() == want.Kind() {
		return rv.Convert(want).Interface().(T), nil
	}
	return zero, fmt.Errorf("infratest: await: got %T, want %s", v, want)
}
