"""Texts of the SMS pages (message log, bulk and scheduled sends, statistics, providers, opt-outs) and of the
agent panel's "Send SMS", in English and Vietnamese (merged into ``admin_ui.i18n.MESSAGES``)."""

from __future__ import annotations

SMS_PAGE_MESSAGES: dict[str, dict[str, str]] = {
    "nav_sms": {"en": "SMS", "vi": "Tin nhắn SMS"},
    "cap_sms": {"en": "Send and follow text messages", "vi": "Gửi và theo dõi tin nhắn SMS"},
    "sms_log_title": {"en": "Message log", "vi": "Nhật ký tin nhắn"},
    "sms_sends_title": {"en": "Bulk and scheduled sends", "vi": "Gửi hàng loạt và gửi theo lịch"},
    "sms_stats_title": {"en": "SMS statistics", "vi": "Thống kê SMS"},
    "sms_optouts_title": {"en": "SMS opt-outs", "vi": "Từ chối nhận SMS"},
    "sms_providers_title": {"en": "SMS providers", "vi": "Nhà cung cấp SMS"},
    "sms_any": {"en": "any", "vi": "tất cả"},
    "sms_lead_id": {"en": "Lead", "vi": "Khách hàng"},
    "sms_direction": {"en": "Direction", "vi": "Chiều"},
    "sms_dir_out": {"en": "sent", "vi": "gửi đi"},
    "sms_dir_in": {"en": "received", "vi": "nhận về"},
    "sms_from_day": {"en": "From", "vi": "Từ ngày"},
    "sms_to_day": {"en": "To", "vi": "Đến ngày"},
    "sms_times_utc": {"en": "Dates and times are UTC.", "vi": "Ngày giờ theo UTC."},
    "sms_message": {"en": "Message", "vi": "Nội dung"},
    "sms_parts": {"en": "Parts", "vi": "Số phần"},
    "sms_provider": {"en": "Provider", "vi": "Nhà cung cấp"},
    "sms_status_history": {"en": "Status history", "vi": "Lịch sử trạng thái"},
    "sms_newest": {"en": "Newest", "vi": "Mới nhất"},
    "sms_no_messages": {"en": "No message matches.", "vi": "Không có tin nhắn phù hợp."},
    "sms_bad_lead": {"en": "A lead is searched by its number (id).", "vi": "Tìm khách hàng theo mã số (id)."},
    "sms_bad_date": {"en": "A date is written YYYY-MM-DD.", "vi": "Ngày được viết theo dạng YYYY-MM-DD."},
    "sms_bad_number": {"en": "Give a phone number, or at least its last 4 digits.",
                       "vi": "Nhập số điện thoại, hoặc ít nhất 4 chữ số cuối."},
    "sms_status_pending": {"en": "waiting", "vi": "đang chờ"},
    "sms_status_queued": {"en": "queued", "vi": "đã xếp hàng"},
    "sms_status_sent": {"en": "sent", "vi": "đã gửi"},
    "sms_status_delivered": {"en": "delivered", "vi": "đã nhận"},
    "sms_status_failed": {"en": "failed", "vi": "thất bại"},
    "sms_status_undelivered": {"en": "undelivered", "vi": "không đến được"},
    "sms_status_refused": {"en": "refused (consent)", "vi": "bị chặn (đồng ý nhận)"},
    "sms_status_cancelled": {"en": "cancelled", "vi": "đã hủy"},
    "sms_status_received": {"en": "received", "vi": "đã nhận về"},
    "sms_report_duplicate": {"en": "report sent twice, ignored", "vi": "báo cáo gửi hai lần, bỏ qua"},
    "sms_report_stale": {"en": "late report, ignored", "vi": "báo cáo đến muộn, bỏ qua"},
    "sms_report_unknown_message": {"en": "unknown message", "vi": "tin nhắn không xác định"},
    "sms_report_bad_signature": {"en": "bad signature, refused", "vi": "chữ ký sai, bị từ chối"},
    # statistics
    "sms_days": {"en": "Days", "vi": "Số ngày"},
    "sms_show": {"en": "Show", "vi": "Xem"},
    "sms_sent": {"en": "Sent", "vi": "Đã gửi"},
    "sms_failed": {"en": "Failed", "vi": "Thất bại"},
    "sms_received": {"en": "Received", "vi": "Nhận về"},
    "sms_optouts": {"en": "Opt-outs", "vi": "Từ chối nhận"},
    "sms_cost": {"en": "Cost", "vi": "Chi phí"},
    "sms_total": {"en": "Total", "vi": "Tổng"},
    "sms_no_campaign": {"en": "no campaign (test messages)", "vi": "không thuộc chiến dịch (tin nhắn thử)"},
    "sms_stats_help": {
        "en": "Sent: handed to a provider. Failed: failed or undelivered. Opt-outs: numbers this campaign texted "
              "that were put on an SMS opt-out list in the period. Cost: parts sent times the provider's price "
              "per part (— when a provider has no price).",
        "vi": "Đã gửi: đã chuyển cho nhà cung cấp. Thất bại: thất bại hoặc không đến được. Từ chối nhận: số điện "
              "thoại chiến dịch đã nhắn tin và được thêm vào danh sách từ chối SMS trong khoảng thời gian. Chi phí: "
              "số phần đã gửi nhân giá mỗi phần của nhà cung cấp (— khi nhà cung cấp chưa có giá)."},
    "sms_per_day": {"en": "{name}, per day (UTC)", "vi": "{name}, theo ngày (UTC)"},
    "sms_plot_sent": {"en": "Messages sent per day: {name}", "vi": "Tin nhắn đã gửi mỗi ngày: {name}"},
    "sms_plot_failed": {"en": "Messages failed per day: {name}", "vi": "Tin nhắn thất bại mỗi ngày: {name}"},
    # opt-outs
    "sms_optouts_help": {
        "en": "Numbers that replied STOP (or were added by hand) receive no text message from any campaign. "
              "Every change is in the audit below and in the DNC audit.",
        "vi": "Các số đã trả lời STOP (hoặc được thêm thủ công) không nhận tin nhắn nào từ bất kỳ chiến dịch nào. "
              "Mọi thay đổi đều có trong nhật ký bên dưới và trong nhật ký DNC."},
    "sms_numbers": {"en": "{n} numbers", "vi": "{n} số"},
    "sms_optout_audit": {"en": "Audit of the opt-out lists", "vi": "Nhật ký các danh sách từ chối nhận"},
    # the agent panel's "Send SMS"
    "sms_panel_send": {"en": "Send SMS", "vi": "Gửi SMS"},
    "sms_panel_template": {"en": "Template", "vi": "Mẫu tin"},
    "sms_panel_pick": {"en": "Choose a template", "vi": "Chọn mẫu tin"},
    "sms_panel_no_templates": {"en": "No template for this campaign", "vi": "Chiến dịch này chưa có mẫu tin"},
    "sms_panel_send_button": {"en": "Send", "vi": "Gửi"},
    "sms_panel_messages": {"en": "Text messages", "vi": "Tin nhắn SMS"},
    "sms_panel_none": {"en": "No text message yet.", "vi": "Chưa có tin nhắn nào."},
    "sms_panel_sending": {"en": "Sending…", "vi": "Đang gửi…"},
    "sms_panel_sent": {"en": "Sent to the provider's queue.", "vi": "Đã chuyển vào hàng đợi gửi."},
    "sms_panel_refused": {"en": "Not sent:", "vi": "Không gửi:"},
    "sms_panel_count": {"en": "To {to}: {parts} part(s), {encoding}, {units} characters",
                        "vi": "Đến {to}: {parts} phần, {encoding}, {units} ký tự"},
    "sms_panel_cannot_fill": {"en": "This template cannot be filled in for this customer: {error}",
                              "vi": "Không điền được mẫu tin này cho khách hàng: {error}"},
    "sms_panel_no_provider": {"en": "No SMS provider is configured.", "vi": "Chưa cấu hình nhà cung cấp SMS."},
    "sms_panel_already_sent": {"en": "This template was already sent on this call.",
                               "vi": "Mẫu tin này đã được gửi trong cuộc gọi này."},
    "sms_panel_waits": {"en": "Quiet hours: it will be sent at {at}.", "vi": "Giờ yên lặng: tin sẽ được gửi lúc {at}."},
}
