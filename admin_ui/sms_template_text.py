"""Texts of the SMS template pages (list, editor, live counter, preview) and of every reason a template is
refused (``sms.templates.ENGLISH``: ``smst_refused_<code>``), in English and Vietnamese (merged into
``admin_ui.i18n.MESSAGES``)."""

from __future__ import annotations

from sms.templates import ENGLISH as REFUSED_EN

_REFUSED_VI = {
    "too_long": "mẫu dài quá {limit} ký tự",
    "syntax": "dòng {line}: lỗi cú pháp ({message})",
    "unknown_field": "trường không xác định '{field}'; các trường có thể dùng: {known}",
    "unsafe_name": "không được dùng '{field}': tên bắt đầu bằng _ sẽ chạm vào phần bên trong của Python",
    "dynamic_field": "lead[...] phải ghi tên trường trong dấu ngoặc kép, ví dụ lead[\"first_name\"]",
    "tag": "không được dùng {{% {tag} %}} trong mẫu SMS",
    "call": "không được gọi {field}(); chỉ được gọi các hàm chuỗi: {known}",
    "filter": "không có bộ lọc '{field}'; các bộ lọc có thể dùng: {known}",
    "missing_value": "tin nhắn này không có giá trị cho '{field}'",
    "limit": "mẫu đã bị dừng: {what}",
    "not_allowed": "mẫu đã thử làm điều không được phép: {detail}",
    "failed": "không điền được mẫu: {detail}",
    "name_missing": "hãy đặt tên cho mẫu (tối đa 100 ký tự)",
    "name_taken": "đã có mẫu tên '{name}' cho chiến dịch này",
    "empty": "mẫu đang trống",
}

SMS_TEMPLATE_MESSAGES: dict[str, dict[str, str]] = {
    "smst_title": {"en": "SMS templates", "vi": "Mẫu tin nhắn SMS"},
    "smst_new": {"en": "New template", "vi": "Mẫu mới"},
    "smst_edit": {"en": "Edit SMS template", "vi": "Sửa mẫu tin nhắn SMS"},
    "smst_none": {"en": "No SMS template yet.", "vi": "Chưa có mẫu tin nhắn SMS nào."},
    "smst_name": {"en": "Name", "vi": "Tên mẫu"},
    "smst_campaign": {"en": "Campaign", "vi": "Chiến dịch"},
    "smst_every_campaign": {"en": "Every campaign", "vi": "Mọi chiến dịch"},
    "smst_body": {"en": "Message", "vi": "Nội dung tin nhắn"},
    "smst_plain": {"en": "Send without diacritics (đ → d, ư → u, ấ → a …)",
                   "vi": "Gửi không dấu (đ → d, ư → u, ấ → a …)"},
    "smst_plain_short": {"en": "without diacritics", "vi": "không dấu"},
    "smst_updated": {"en": "Updated (UTC)", "vi": "Cập nhật (UTC)"},
    "smst_created": {"en": "The template was created.", "vi": "Đã tạo mẫu tin nhắn."},
    "smst_saved": {"en": "The template was saved.", "vi": "Đã lưu mẫu tin nhắn."},
    "smst_deleted": {"en": "The template was deleted.", "vi": "Đã xóa mẫu tin nhắn."},
    "smst_delete": {"en": "Delete this template", "vi": "Xóa mẫu này"},
    "smst_not_saved": {"en": "Not saved:", "vi": "Chưa lưu được:"},
    "smst_counter": {"en": "Length", "vi": "Độ dài"},
    "smst_as_written": {"en": "As written", "vi": "Có dấu (như đã viết)"},
    "smst_without": {"en": "Without diacritics", "vi": "Không dấu"},
    "smst_will_send": {"en": "will be sent", "vi": "sẽ được gửi"},
    "smst_septets": {"en": "characters (7-bit)", "vi": "ký tự (7 bit)"},
    "smst_units": {"en": "UTF-16 units", "vi": "đơn vị UTF-16"},
    "smst_parts": {"en": "SMS", "vi": "tin"},
    "smst_counting_template": {"en": "Counting the template text; choose a lead below to count a real message.",
                               "vi": "Đang đếm nội dung mẫu; hãy chọn một khách hàng bên dưới để đếm tin nhắn thật."},
    "smst_counting_preview": {"en": "Counting the message {name} would receive.",
                              "vi": "Đang đếm tin nhắn mà {name} sẽ nhận."},
    "smst_counter_help": {
        "en": "GSM-7: 160 characters in one SMS, 153 per SMS when longer; ^ { } [ ] ~ \\ | € count two. "
              "One letter outside GSM-7 (most Vietnamese letters with diacritics, an emoji, a curly quote) "
              "makes the whole message UCS-2: 70 characters in one SMS, 67 per SMS when longer, an emoji "
              "counting two. The provider bills each SMS.",
        "vi": "GSM-7: 160 ký tự trong một tin, 153 ký tự mỗi tin khi dài hơn; ^ { } [ ] ~ \\ | € tính là hai. "
              "Chỉ một ký tự ngoài GSM-7 (hầu hết chữ tiếng Việt có dấu, biểu tượng cảm xúc, dấu nháy cong) "
              "làm cả tin nhắn thành UCS-2: 70 ký tự trong một tin, 67 ký tự mỗi tin khi dài hơn, biểu tượng "
              "cảm xúc tính là hai. Nhà cung cấp tính tiền theo từng tin."},
    "smst_fields_help": {
        "en": "Write the message with fields in double braces: {{ lead.first_name }}, {{ lead.last_name }}, "
              "{{ lead.full_name }}, {{ lead.phone }}, {{ lead.postal_code }}, a column of the lead's list "
              "({{ lead.plan }}, or {{ lead[\"ngày sinh\"] }} for a name with spaces), {{ agent_name }}, "
              "{{ campaign.name }}, {{ callback.date }} and {{ callback.time }} (the next callback, in the "
              "customer's time zone). {% if %} and {% for %} work; a field the leads do not have is refused "
              "when you save.",
        "vi": "Viết tin nhắn với các trường trong hai dấu ngoặc nhọn: {{ lead.first_name }}, "
              "{{ lead.last_name }}, {{ lead.full_name }}, {{ lead.phone }}, {{ lead.postal_code }}, một cột "
              "của danh sách khách hàng ({{ lead.plan }}, hoặc {{ lead[\"ngày sinh\"] }} khi tên có dấu cách), "
              "{{ agent_name }}, {{ campaign.name }}, {{ callback.date }} và {{ callback.time }} (lần gọi lại "
              "tiếp theo, theo múi giờ của khách hàng). Có thể dùng {% if %} và {% for %}; trường mà khách "
              "hàng không có sẽ bị từ chối khi lưu."},
    "smst_preview": {"en": "Preview with a real lead", "vi": "Xem trước với một khách hàng thật"},
    "smst_lead_ref": {"en": "Lead: phone number or #id", "vi": "Khách hàng: số điện thoại hoặc #mã"},
    "smst_preview_button": {"en": "Preview", "vi": "Xem trước"},
    "smst_no_lead": {"en": "No lead matches {ref}.", "vi": "Không có khách hàng nào khớp với {ref}."},
    "smst_preview_for": {"en": "Message to {name} ({phone}), campaign {campaign}",
                         "vi": "Tin nhắn gửi {name} ({phone}), chiến dịch {campaign}"},
    "smst_preview_none": {"en": "Choose a lead to see the message it would receive.",
                          "vi": "Chọn một khách hàng để xem tin nhắn họ sẽ nhận."},
    "smst_problem": {"en": "Problem:", "vi": "Lỗi:"},
    **{f"smst_refused_{code}": {"en": english, "vi": _REFUSED_VI[code]}
       for code, english in REFUSED_EN.items()},
}
