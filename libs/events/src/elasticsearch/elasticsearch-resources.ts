/**
 * The Elasticsearch resources the sink installs: an ILM policy and an index template
 * that makes `<dataStream>` a data stream with explicit mappings. deploy/elasticsearch/
 * holds the same JSON for the default names (a test keeps the two equal), for operators
 * who install them with curl or a GitOps tool instead.
 */

/** Default data stream name. */
export const DEFAULT_DATA_STREAM = 'sightline-events';
/** Default ILM policy name. */
export const DEFAULT_ILM_POLICY = 'sightline-events';
/** Default rollover: a new backing index each day or at 50 GB per primary shard. */
export const DEFAULT_ROLLOVER_MAX_AGE = '1d';
/** Default primary shard size at which to roll over. */
export const DEFAULT_ROLLOVER_MAX_PRIMARY_SHARD_SIZE = '50gb';
/** Default age at which backing indices are deleted. */
export const DEFAULT_DELETE_AFTER = '30d';

/** The ILM policy body (`PUT _ilm/policy/<name>`). */
export function ilmPolicy(deleteAfter: string = DEFAULT_DELETE_AFTER) {
  return {
    policy: {
      _meta: {
        description: 'Sightline inference events: roll over daily, delete after retention',
        managed_by: 'sightline',
      },
      phases: {
        hot: {
          actions: {
            rollover: {
              max_age: DEFAULT_ROLLOVER_MAX_AGE,
              max_primary_shard_size: DEFAULT_ROLLOVER_MAX_PRIMARY_SHARD_SIZE,
            },
          },
        },
        delete: { min_age: deleteAfter, actions: { delete: {} } },
      },
    },
  };
}

/**
 * The mappings. `dynamic: false` keeps unknown fields in `_source` without mapping them,
 * so arbitrary parameter names cannot blow up the mapping; parameters and per-node
 * timings are `flattened` (one field each, searchable by key). Tensor elements (base64)
 * are kept in `_source` only.
 */
export function eventMappings() {
  const tensor = {
    properties: {
      name: { type: 'keyword' },
      datatype: { type: 'keyword' },
      shape: { type: 'long' },
    },
  };
  return {
    dynamic: false,
    properties: {
      '@timestamp': { type: 'date' },
      eventId: { type: 'keyword' },
      requestId: { type: 'keyword' },
      timeUnixMs: { type: 'long' },
      source: { type: 'keyword' },
      graph: { type: 'keyword' },
      nodePath: { type: 'keyword' },
      modelName: { type: 'keyword' },
      modelVersion: { type: 'keyword' },
      inputs: tensor,
      outputs: tensor,
      requestParameters: { type: 'flattened' },
      responseParameters: { type: 'flattened' },
      // The answering version's source_uri and lineage.* (searchable by key, as parameters).
      modelLineage: { type: 'flattened' },
      timings: {
        properties: {
          totalMs: { type: 'double' },
          modelMs: { type: 'double' },
          nodeMs: { type: 'flattened' },
        },
      },
      statusCode: { type: 'keyword' },
      errorMessage: { type: 'text' },
      trace: {
        properties: {
          traceparent: { type: 'keyword' },
          tracestate: { type: 'keyword' },
        },
      },
    },
  };
}

/** The index template body (`PUT _index_template/<dataStream>`). */
export function indexTemplate(dataStream: string = DEFAULT_DATA_STREAM, policy: string = DEFAULT_ILM_POLICY) {
  return {
    index_patterns: [`${dataStream}*`],
    data_stream: {},
    priority: 200,
    _meta: {
      description: 'Sightline inference events (libs/events)',
      managed_by: 'sightline',
      schema_version: 2,
    },
    template: {
      settings: { 'index.lifecycle.name': policy },
      mappings: eventMappings(),
    },
  };
}
