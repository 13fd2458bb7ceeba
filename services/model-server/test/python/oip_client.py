#!/usr/bin/python3
"""An Open Inference Protocol v2 client that shares no code with Sightline.

Its stubs are generated from proto/inference/grpc_service.proto (and the model_config.proto
it imports) by Debian's grpc_tools
(python3-grpc-tools), and it speaks to the server with grpcio (python3-grpcio) and numpy,
the way a KServe or Triton Python client would. The model-server's integration test runs it
against a model-server process and checks the JSON it prints.

Usage: /usr/bin/python3 oip_client.py --stubs DIR --address HOST:PORT --rows '[[5.1,3.5,1.4,0.2], ...]'
"""
import argparse
import json
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stubs", required=True, help="directory holding inference/grpc_service_pb2*.py")
    parser.add_argument("--address", required=True, help="the model-server's gRPC address, host:port")
    parser.add_argument("--rows", required=True, help="iris feature rows as a JSON list of 4-number lists")
    parser.add_argument("--model", default="iris")
    args = parser.parse_args()

    sys.path.insert(0, args.stubs)
    import grpc
    import numpy as np
    from inference import grpc_service_pb2 as pb
    from inference import grpc_service_pb2_grpc as pb_grpc

    rows = np.asarray(json.loads(args.rows), dtype="<f4")
    timeout_s = 15
    results = {}

    with grpc.insecure_channel(args.address) as channel:
        stub = pb_grpc.GRPCInferenceServiceStub(channel)

        results["server_live"] = stub.ServerLive(pb.ServerLiveRequest(), timeout=timeout_s).live
        results["server_ready"] = stub.ServerReady(pb.ServerReadyRequest(), timeout=timeout_s).ready

        metadata = stub.ModelMetadata(pb.ModelMetadataRequest(name=args.model), timeout=timeout_s)
        results["model_metadata"] = {
            "name": metadata.name,
            "versions": list(metadata.versions),
            "platform": metadata.platform,
            "inputs": [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)} for t in metadata.inputs],
            "outputs": [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)} for t in metadata.outputs],
        }

        def raw_request(request_id, model=args.model):
            request = pb.ModelInferRequest(model_name=model, id=request_id)
            tensor = request.inputs.add()
            tensor.name = "input"
            tensor.datatype = "FP32"
            tensor.shape.extend(rows.shape)
            request.raw_input_contents.append(rows.tobytes())
            return request

        def raw_probabilities(response):
            output = response.outputs[0]
            values = np.frombuffer(response.raw_output_contents[0], dtype="<f4").reshape(tuple(output.shape))
            return {
                "name": output.name,
                "datatype": output.datatype,
                "shape": list(output.shape),
                "values": [float(v) for v in values.flatten()],
            }

        # Raw contents: little-endian bytes in raw_input_contents, answered in raw_output_contents.
        response = stub.ModelInfer(raw_request("py-raw"), timeout=timeout_s)
        results["infer_raw"] = {"id": response.id, "model_name": response.model_name,
                                "model_version": response.model_version, **raw_probabilities(response)}

        # Typed contents: fp32_contents in, fp32_contents out.
        request = pb.ModelInferRequest(model_name=args.model, id="py-typed")
        tensor = request.inputs.add()
        tensor.name = "input"
        tensor.datatype = "FP32"
        tensor.shape.extend(rows.shape)
        tensor.contents.fp32_contents.extend(float(v) for v in rows.flatten())
        response = stub.ModelInfer(request, timeout=timeout_s)
        output = response.outputs[0]
        results["infer_typed"] = {
            "id": response.id,
            "raw_output_count": len(response.raw_output_contents),
            "name": output.name,
            "shape": list(output.shape),
            "values": list(output.contents.fp32_contents),
        }

        # One stream, three requests, the middle one for a model that does not exist.
        stream = stub.ModelStreamInfer(
            iter([raw_request("py-s1"), raw_request("py-s-bad", model="no-such-model"), raw_request("py-s2")]),
            timeout=timeout_s,
        )
        streamed = []
        for message in stream:
            entry = {"id": message.infer_response.id, "error_message": message.error_message}
            if not message.error_message:
                entry["values"] = raw_probabilities(message.infer_response)["values"]
            streamed.append(entry)
        results["stream"] = streamed

        # Triton's ModelConfig, as tritonclient's get_model_config calls it; printed the way
        # tritonclient's as_json=True prints it (protobuf's JSON mapping, upstream field names).
        from google.protobuf import json_format
        config = stub.ModelConfig(pb.ModelConfigRequest(name=args.model), timeout=timeout_s)
        results["model_config"] = json_format.MessageToDict(config.config, preserving_proto_field_name=True)

        index = stub.RepositoryIndex(pb.RepositoryIndexRequest(), timeout=timeout_s)
        results["repository_index"] = [
            {"name": m.name, "version": m.version, "state": m.state, "reason": m.reason} for m in index.models
        ]

        try:
            stub.ModelInfer(raw_request("py-missing", model="no-such-model"), timeout=timeout_s)
            results["not_found"] = {"code": "OK", "details": ""}
        except grpc.RpcError as error:
            results["not_found"] = {"code": error.code().name, "details": error.details()}

    json.dump(results, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
