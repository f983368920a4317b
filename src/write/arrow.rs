//! Posts → Arrow [`RecordBatch`]es of the schema in
//! [`crate::format::arrow`].
//!
//! Kept apart from the Parquet file ([`crate::write::parquet`]) so that
//! whatever consumes Arrow (a Parquet file, a Python `RecordBatchReader`)
//! builds its batches the same way. [`Columns`] appends one post at a time
//! to one builder per leaf column and hands out a batch when asked; the
//! caller decides when ([`Columns::rows`], [`Columns::bytes`]), so memory is
//! bounded by the caller's batch size, never by the input's.

use crate::error::{Error, Result};
use crate::format::arrow::{self as schema, split_date, split_edited, DateParts};
use crate::model::{Extra, Media, MediaStatus, Peer, Post, Reaction, Span};
use arrow_array::builder::{
    BooleanBuilder, Int32Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
    UInt64Builder,
};
use arrow_array::{ArrayRef, ListArray, RecordBatch, StructArray};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, FieldRef, Fields};
use std::sync::Arc;

/// An Arrow error while assembling a batch: a bug, not a bad post, so it
/// stops the run (an I/O-kind error naming the output).
fn arrow_error(name: &str, e: impl std::fmt::Display) -> Error {
    Error::io(name, std::io::Error::other(format!("cannot build an Arrow batch: {e}")))
}

/// A JSON object as a string column value: `None` when empty.
fn json_object(extra: &Extra) -> Option<String> {
    (!extra.is_empty()).then(|| serde_json::Value::Object(extra.clone()).to_string())
}

/// The three columns of a date.
#[derive(Default)]
struct DateColumns {
    at: TimestampMicrosecondBuilder,
    offset: Int32Builder,
    text: StringBuilder,
}

impl DateColumns {
    fn push(&mut self, date: Option<&str>) {
        let parts = date.map(split_date).unwrap_or_default();
        let DateParts { micros, offset_minutes, text } = parts;
        self.at.append_option(micros);
        self.offset.append_option(offset_minutes);
        self.text.append_option(text);
    }

    fn finish(&mut self) -> [ArrayRef; 3] {
        [
            Arc::new(self.at.finish().with_timezone("UTC")),
            Arc::new(self.offset.finish()),
            Arc::new(self.text.finish()),
        ]
    }
}

/// A struct column: its validity, filled by the caller's pushes.
#[derive(Default)]
struct Valid(Vec<bool>);

impl Valid {
    fn push(&mut self, present: bool) {
        self.0.push(present);
    }

    /// The struct array of `fields` over `children`.
    fn finish(&mut self, fields: &Fields, children: Vec<ArrayRef>, name: &str) -> Result<ArrayRef> {
        let nulls = NullBuffer::from(std::mem::take(&mut self.0));
        let nulls = (nulls.null_count() > 0).then_some(nulls);
        let array = StructArray::try_new(fields.clone(), children, nulls)
            .map_err(|e| arrow_error(name, e))?;
        Ok(Arc::new(array))
    }
}

/// A list column's offsets (every list present, maybe empty).
struct Offsets(Vec<i32>);

impl Default for Offsets {
    fn default() -> Offsets {
        Offsets(vec![0])
    }
}

impl Offsets {
    /// Closes the current row's list after `items` more items.
    fn push(&mut self, items: usize, name: &str) -> Result<()> {
        let last = self.0.last().copied().unwrap_or(0);
        let next = i32::try_from(items)
            .ok()
            .and_then(|n| last.checked_add(n))
            .ok_or_else(|| arrow_error(name, "a list column passed 2^31 items in one batch"))?;
        self.0.push(next);
        Ok(())
    }

    fn finish(&mut self, item: FieldRef, values: ArrayRef, name: &str) -> Result<ArrayRef> {
        let offsets = std::mem::replace(&mut self.0, vec![0]);
        let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
        let array =
            ListArray::try_new(item, offsets, values, None).map_err(|e| arrow_error(name, e))?;
        Ok(Arc::new(array))
    }
}

/// The `name` and `id` of a peer.
#[derive(Default)]
struct PeerColumns {
    valid: Valid,
    name: StringBuilder,
    id: StringBuilder,
}

impl PeerColumns {
    fn push(&mut self, peer: Option<&Peer>) {
        self.valid.push(peer.is_some());
        self.name.append_option(peer.and_then(|p| p.name.as_deref()));
        self.id.append_option(peer.and_then(|p| p.id.as_deref()));
    }

    fn finish(&mut self, fields: &Fields, name: &str) -> Result<ArrayRef> {
        let children: Vec<ArrayRef> =
            vec![Arc::new(self.name.finish()), Arc::new(self.id.finish())];
        self.valid.finish(fields, children, name)
    }
}

/// The children of a struct field of the schema.
fn children_of(fields: &Fields, name: &str) -> Fields {
    match fields.find(name).map(|(_, f)| f.data_type()) {
        Some(DataType::Struct(children)) => children.clone(),
        _ => Fields::empty(),
    }
}

/// The item field of a list field of the schema.
fn item_of(fields: &Fields, name: &str) -> FieldRef {
    match fields.find(name).map(|(_, f)| f.data_type()) {
        Some(DataType::List(item)) => item.clone(),
        _ => Arc::new(Field::new("item", DataType::Null, true)),
    }
}

/// One builder per leaf column of the post schema.
#[derive(Default)]
pub struct Columns {
    rows: usize,
    bytes: usize,
    chat: Valid,
    chat_name: StringBuilder,
    chat_id: StringBuilder,
    chat_username: StringBuilder,
    chat_type: StringBuilder,
    id: Int64Builder,
    kind: StringBuilder,
    date: DateColumns,
    edited: BooleanBuilder,
    edited_at: DateColumns,
    from: PeerColumns,
    author: StringBuilder,
    forward: Valid,
    forward_name: StringBuilder,
    forward_id: StringBuilder,
    forward_username: StringBuilder,
    forward_message_id: Int64Builder,
    forward_date: DateColumns,
    reply: Valid,
    reply_message_id: Int64Builder,
    reply_author: StringBuilder,
    reply_quote: StringBuilder,
    reply_peer_id: StringBuilder,
    reply_source_line: UInt64Builder,
    via_bot: StringBuilder,
    text: StringBuilder,
    entities: Offsets,
    entity_type: StringBuilder,
    entity_offset: UInt64Builder,
    entity_length: UInt64Builder,
    entity_attrs: StringBuilder,
    media: Offsets,
    medium: MediaColumns,
    service: Valid,
    service_action: StringBuilder,
    service_actor: PeerColumns,
    service_details: StringBuilder,
    reactions: Offsets,
    reaction_type: StringBuilder,
    reaction_count: UInt64Builder,
    reaction_emoji: StringBuilder,
    reaction_extra: StringBuilder,
    views: UInt64Builder,
    source: SourceColumns,
    cleaned: Offsets,
    cleaned_items: StringBuilder,
    topic_id: Int64Builder,
    extra: StringBuilder,
}

/// The children of the `media` list's items.
#[derive(Default)]
struct MediaColumns {
    kind: StringBuilder,
    status: StringBuilder,
    file: StringBuilder,
    file_name: StringBuilder,
    mime_type: StringBuilder,
    file_size: UInt64Builder,
    duration_seconds: UInt64Builder,
    width: UInt64Builder,
    height: UInt64Builder,
    title: StringBuilder,
    extra: StringBuilder,
}

impl MediaColumns {
    /// Appends one medium; returns its approximate size in bytes.
    fn push(&mut self, m: &Media) -> usize {
        let extra = json_object(&m.extra);
        let bytes = 96 + extra.as_ref().map_or(0, String::len);
        self.kind.append_value(&m.kind);
        self.status.append_value(status_name(m.status));
        self.file.append_option(m.file.as_deref());
        self.file_name.append_option(m.file_name.as_deref());
        self.mime_type.append_option(m.mime_type.as_deref());
        self.file_size.append_option(m.file_size);
        self.duration_seconds.append_option(m.duration_seconds);
        self.width.append_option(m.width);
        self.height.append_option(m.height);
        self.title.append_option(m.title.as_deref());
        self.extra.append_option(extra);
        bytes
    }

    fn finish(&mut self, fields: &Fields, name: &str) -> Result<ArrayRef> {
        let children: Vec<ArrayRef> = vec![
            Arc::new(self.kind.finish()),
            Arc::new(self.status.finish()),
            Arc::new(self.file.finish()),
            Arc::new(self.file_name.finish()),
            Arc::new(self.mime_type.finish()),
            Arc::new(self.file_size.finish()),
            Arc::new(self.duration_seconds.finish()),
            Arc::new(self.width.finish()),
            Arc::new(self.height.finish()),
            Arc::new(self.title.finish()),
            Arc::new(self.extra.finish()),
        ];
        let array = StructArray::try_new(fields.clone(), children, None)
            .map_err(|e| arrow_error(name, e))?;
        Ok(Arc::new(array))
    }
}

/// A media status as the JSONL writes it.
pub fn status_name(status: MediaStatus) -> &'static str {
    match status {
        MediaStatus::Ok => "ok",
        MediaStatus::NotIncluded => "not_included",
        MediaStatus::TooBig => "too_big",
        MediaStatus::Unavailable => "unavailable",
        MediaStatus::NotSupported => "not_supported",
    }
}

/// The `source` struct's columns.
#[derive(Default)]
struct SourceColumns {
    format: StringBuilder,
    file: StringBuilder,
    line: UInt64Builder,
    end_line: UInt64Builder,
    index: UInt64Builder,
    byte: UInt64Builder,
    repeat: Valid,
    repeat_bounds: [UInt64Builder; 4],
    flags: Offsets,
    flag_items: StringBuilder,
    local_dates: StringBuilder,
    merged_from: StringBuilder,
}

impl SourceColumns {
    fn push(&mut self, source: &crate::model::Source, name: &str) -> Result<()> {
        self.format.append_value(&source.format);
        self.file.append_value(&source.file);
        self.line.append_option(source.line);
        self.end_line.append_option(source.end_line);
        self.index.append_option(source.index);
        self.byte.append_option(source.byte);
        self.repeat.push(source.repeat.is_some());
        let bounds = source.repeat.map(|r| [r.kept[0], r.kept[1], r.dropped[0], r.dropped[1]]);
        for (i, builder) in self.repeat_bounds.iter_mut().enumerate() {
            builder.append_option(bounds.and_then(|b| b.get(i).copied()));
        }
        for flag in &source.flags {
            self.flag_items.append_value(flag);
        }
        self.flags.push(source.flags.len(), name)?;
        let local = source.local_dates.as_ref().map(serde_json::to_string).transpose();
        self.local_dates.append_option(local.map_err(|e| arrow_error(name, e))?);
        let merged = &source.merged_from;
        let merged = (!merged.is_empty()).then(|| serde_json::to_string(merged)).transpose();
        self.merged_from.append_option(merged.map_err(|e| arrow_error(name, e))?);
        Ok(())
    }

    fn finish(&mut self, fields: &Fields, name: &str) -> Result<ArrayRef> {
        let repeat_fields = children_of(fields, "repeat");
        let bounds: Vec<ArrayRef> =
            self.repeat_bounds.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef).collect();
        let repeat = self.repeat.finish(&repeat_fields, bounds, name)?;
        let flags = self.flags.finish(
            item_of(fields, "flags"),
            Arc::new(self.flag_items.finish()),
            name,
        )?;
        let children: Vec<ArrayRef> = vec![
            Arc::new(self.format.finish()),
            Arc::new(self.file.finish()),
            Arc::new(self.line.finish()),
            Arc::new(self.end_line.finish()),
            Arc::new(self.index.finish()),
            Arc::new(self.byte.finish()),
            repeat,
            flags,
            Arc::new(self.local_dates.finish()),
            Arc::new(self.merged_from.finish()),
        ];
        let array = StructArray::try_new(fields.clone(), children, None)
            .map_err(|e| arrow_error(name, e))?;
        Ok(Arc::new(array))
    }
}

impl Columns {
    /// No rows yet.
    pub fn new() -> Columns {
        Columns::default()
    }

    /// Rows appended since the last batch.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// About how many bytes the rows since the last batch hold.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Appends one post. `name` names the output in errors.
    pub fn push(&mut self, post: &Post, name: &str) -> Result<()> {
        self.rows += 1;
        self.bytes += 256;
        self.push_head(post);
        self.push_text(&post.text.spans, name)?;
        for m in &post.media {
            self.bytes += self.medium.push(m);
        }
        self.media.push(post.media.len(), name)?;
        self.push_service(post);
        self.push_reactions(&post.reactions, name)?;
        self.views.append_option(post.views);
        self.source.push(&post.source, name)?;
        for c in &post.cleaned {
            self.cleaned_items.append_value(c);
        }
        self.cleaned.push(post.cleaned.len(), name)?;
        self.topic_id.append_option(post.topic_id);
        let extra = json_object(&post.extra);
        self.bytes += extra.as_ref().map_or(0, String::len);
        self.extra.append_option(extra);
        Ok(())
    }

    /// The columns before the text: chat, id, dates, sender, forward, reply.
    fn push_head(&mut self, post: &Post) {
        let chat = post.chat.as_ref();
        self.chat.push(chat.is_some());
        self.chat_name.append_option(chat.and_then(|c| c.name.as_deref()));
        self.chat_id.append_option(chat.and_then(|c| c.id.as_deref()));
        self.chat_username.append_option(chat.and_then(|c| c.username.as_deref()));
        self.chat_type.append_option(chat.and_then(|c| c.kind.as_deref()));
        self.id.append_option(post.id);
        self.kind.append_value(post.kind.to_string());
        self.date.push(post.date.as_deref());
        let (edited, edited_at) = split_edited(post.edited.as_ref());
        self.edited.append_option(edited);
        self.edited_at.push(edited_at);
        self.from.push(post.from.as_ref());
        self.author.append_option(post.author.as_deref());
        let forward = post.forwarded_from.as_ref();
        self.forward.push(forward.is_some());
        self.forward_name.append_option(forward.and_then(|f| f.name.as_deref()));
        self.forward_id.append_option(forward.and_then(|f| f.id.as_deref()));
        self.forward_username.append_option(forward.and_then(|f| f.username.as_deref()));
        self.forward_message_id.append_option(forward.and_then(|f| f.message_id));
        self.forward_date.push(forward.and_then(|f| f.date.as_deref()));
        let reply = post.reply_to.as_ref();
        self.reply.push(reply.is_some());
        self.reply_message_id.append_option(reply.and_then(|r| r.message_id));
        self.reply_author.append_option(reply.and_then(|r| r.author.as_deref()));
        self.reply_quote.append_option(reply.and_then(|r| r.quote.as_deref()));
        self.reply_peer_id.append_option(reply.and_then(|r| r.peer_id.as_deref()));
        self.reply_source_line.append_option(reply.and_then(|r| r.source_line));
        self.via_bot.append_option(post.via_bot.as_deref());
    }

    /// `text`, and `entities` with offsets in code points, as the JSONL has them.
    fn push_text(&mut self, spans: &[Span], name: &str) -> Result<()> {
        let mut text = String::new();
        let (mut offset, mut entities) = (0u64, 0usize);
        for span in spans {
            text.push_str(&span.text);
            let length = span.text.chars().count() as u64;
            if let Some(style) = &span.style {
                self.entity_type.append_value(&style.kind);
                self.entity_offset.append_value(offset);
                self.entity_length.append_value(length);
                self.entity_attrs.append_option(json_object(&style.attrs));
                entities += 1;
            }
            offset += length;
        }
        self.bytes += text.len() + entities * 32;
        self.text.append_value(text);
        self.entities.push(entities, name)
    }

    fn push_service(&mut self, post: &Post) {
        let service = post.service.as_ref();
        self.service.push(service.is_some());
        self.service_action.append_option(service.and_then(|s| s.action.as_deref()));
        self.service_actor.push(service.and_then(|s| s.actor.as_ref()));
        let details = service.and_then(|s| json_object(&s.details));
        self.bytes += details.as_ref().map_or(0, String::len);
        self.service_details.append_option(details);
    }

    fn push_reactions(&mut self, reactions: &[Reaction], name: &str) -> Result<()> {
        for r in reactions {
            self.reaction_type.append_value(&r.kind);
            self.reaction_count.append_value(r.count);
            self.reaction_emoji.append_option(r.emoji.as_deref());
            let extra = json_object(&r.extra);
            self.bytes += 32 + extra.as_ref().map_or(0, String::len);
            self.reaction_extra.append_option(extra);
        }
        self.reactions.push(reactions.len(), name)
    }

    /// The rows appended so far as one batch; the builders start over.
    pub fn finish(&mut self, name: &str) -> Result<RecordBatch> {
        let schema = schema::schema();
        let fields = schema.fields();
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(fields.len());
        let chat: Vec<ArrayRef> = vec![
            Arc::new(self.chat_name.finish()),
            Arc::new(self.chat_id.finish()),
            Arc::new(self.chat_username.finish()),
            Arc::new(self.chat_type.finish()),
        ];
        columns.push(self.chat.finish(&children_of(fields, "chat"), chat, name)?);
        columns.push(Arc::new(self.id.finish()));
        columns.push(Arc::new(self.kind.finish()));
        columns.extend(self.date.finish());
        columns.push(Arc::new(self.edited.finish()));
        columns.extend(self.edited_at.finish());
        columns.push(self.from.finish(&children_of(fields, "from"), name)?);
        columns.push(Arc::new(self.author.finish()));
        let mut forward: Vec<ArrayRef> = vec![
            Arc::new(self.forward_name.finish()),
            Arc::new(self.forward_id.finish()),
            Arc::new(self.forward_username.finish()),
            Arc::new(self.forward_message_id.finish()),
        ];
        forward.extend(self.forward_date.finish());
        let forward_fields = children_of(fields, "forwarded_from");
        columns.push(self.forward.finish(&forward_fields, forward, name)?);
        let reply: Vec<ArrayRef> = vec![
            Arc::new(self.reply_message_id.finish()),
            Arc::new(self.reply_author.finish()),
            Arc::new(self.reply_quote.finish()),
            Arc::new(self.reply_peer_id.finish()),
            Arc::new(self.reply_source_line.finish()),
        ];
        columns.push(self.reply.finish(&children_of(fields, "reply_to"), reply, name)?);
        columns.push(Arc::new(self.via_bot.finish()));
        columns.push(Arc::new(self.text.finish()));
        self.finish_lists(fields, &mut columns, name)?;
        self.rows = 0;
        self.bytes = 0;
        RecordBatch::try_new(schema.clone(), columns).map_err(|e| arrow_error(name, e))
    }

    /// From `entities` to the end.
    fn finish_lists(
        &mut self,
        fields: &Fields,
        columns: &mut Vec<ArrayRef>,
        name: &str,
    ) -> Result<()> {
        let entity: Vec<ArrayRef> = vec![
            Arc::new(self.entity_type.finish()),
            Arc::new(self.entity_offset.finish()),
            Arc::new(self.entity_length.finish()),
            Arc::new(self.entity_attrs.finish()),
        ];
        let entity = StructArray::try_new(schema::entity_fields(), entity, None)
            .map_err(|e| arrow_error(name, e))?;
        columns.push(self.entities.finish(item_of(fields, "entities"), Arc::new(entity), name)?);
        let media = self.medium.finish(&schema::media_fields(), name)?;
        columns.push(self.media.finish(item_of(fields, "media"), media, name)?);
        let service_fields = children_of(fields, "service");
        let service: Vec<ArrayRef> = vec![
            Arc::new(self.service_action.finish()),
            self.service_actor.finish(&children_of(&service_fields, "actor"), name)?,
            Arc::new(self.service_details.finish()),
        ];
        columns.push(self.service.finish(&service_fields, service, name)?);
        let reaction: Vec<ArrayRef> = vec![
            Arc::new(self.reaction_type.finish()),
            Arc::new(self.reaction_count.finish()),
            Arc::new(self.reaction_emoji.finish()),
            Arc::new(self.reaction_extra.finish()),
        ];
        let reaction = StructArray::try_new(schema::reaction_fields(), reaction, None)
            .map_err(|e| arrow_error(name, e))?;
        columns.push(self.reactions.finish(
            item_of(fields, "reactions"),
            Arc::new(reaction),
            name,
        )?);
        columns.push(Arc::new(self.views.finish()));
        columns.push(self.source.finish(&children_of(fields, "source"), name)?);
        let cleaned = Arc::new(self.cleaned_items.finish());
        columns.push(self.cleaned.finish(item_of(fields, "cleaned"), cleaned, name)?);
        columns.push(Arc::new(self.topic_id.finish()));
        columns.push(Arc::new(self.extra.finish()));
        Ok(())
    }
}
