//! Survey responses as the table's stream delivers them (DynamoDB Streams, `NEW_IMAGE`; the aggregator's input).
//! The image is DynamoDB's JSON (`{"S": "…"}`, `{"N": "…"}`), as in a Lambda event and in `GetRecords`.

use aws_sdk_dynamodb::types::AttributeValue;

use super::items::{Item, get_n, get_s};
use super::keys;
use crate::store::StoreError;
use crate::survey::Record;

/// A survey response read from a stream record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamedResponse {
    /// Survey id.
    pub survey: String,
    /// The response.
    pub record: Record,
    /// How many chunks its counters make, as written with it; `None` for a response stored before the aggregator
    /// (counted in its own transaction then, so never again).
    pub chunks: Option<u32>,
}

/// One attribute of an image, for the types the table's items use.
fn attribute(value: &serde_json::Value) -> Option<AttributeValue> {
    let (kind, inner) = value.as_object()?.iter().next()?;
    let strings = || inner.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect());
    Some(match kind.as_str() {
        "S" => AttributeValue::S(inner.as_str()?.to_string()),
        "N" => AttributeValue::N(inner.as_str()?.to_string()),
        "NS" => AttributeValue::Ns(strings()?),
        "SS" => AttributeValue::Ss(strings()?),
        "BOOL" => AttributeValue::Bool(inner.as_bool()?),
        "NULL" => AttributeValue::Null(true),
        _ => return None,
    })
}

/// The survey response in a stream record's `NewImage`, or `None` when the item is not a survey response. An item
/// that is one but cannot be read is an error (the batch is retried, then sent to the dead-letter queue).
pub fn streamed_response(image: &serde_json::Value) -> Result<Option<StreamedResponse>, StoreError> {
    let Some(fields) = image.as_object() else { return Ok(None) };
    let item: Item = fields.iter().filter_map(|(k, v)| attribute(v).map(|a| (k.clone(), a))).collect();
    let (Some(pk), Some(sk)) = (get_s(&item, "pk"), get_s(&item, "sk")) else { return Ok(None) };
    let Some(survey) = pk.strip_prefix(&keys::survey_pk("")) else { return Ok(None) };
    if !sk.starts_with(keys::RESPONSE) || survey.contains('#') {
        return Ok(None);
    }
    Ok(Some(StreamedResponse {
        survey: survey.to_string(),
        record: Record::try_from(&item)?,
        chunks: get_n(&item, "chunks"),
    }))
}
