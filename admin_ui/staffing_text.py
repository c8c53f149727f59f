"""Texts of the inbound queue wallboard tiles, the per-interval queue report and the staffing page, in English
and Vietnamese (merged into ``admin_ui.i18n.MESSAGES``)."""

from __future__ import annotations

STAFFING_MESSAGES: dict[str, dict[str, str]] = {
    "qs_queues": {"en": "Inbound queues", "vi": "Hàng đợi cuộc gọi đến"},
    "qs_no_queues": {"en": "No inbound queue yet.", "vi": "Chưa có hàng đợi cuộc gọi đến."},
    "qs_queue": {"en": "Queue", "vi": "Hàng đợi"},
    "qs_target": {"en": "target {pct} % within {s} s", "vi": "mục tiêu {pct} % trong {s} giây"},
    "qs_waiting_now": {"en": "Waiting now", "vi": "Đang chờ"},
    "qs_called_back_now": {"en": "+ {n} called back", "vi": "+ {n} chờ gọi lại"},
    "qs_called_back_title": {
        "en": "Callers who pressed 1 to be called back: off the line, they keep their place and take an agent "
              "when it reaches the front",
        "vi": "Người gọi đã bấm phím 1 để được gọi lại: không còn trên máy nhưng vẫn giữ chỗ và sẽ nhận một nhân "
              "viên khi đến lượt"},
    "qs_longest_wait": {"en": "Longest wait", "vi": "Chờ lâu nhất"},
    "qs_sl_today": {"en": "Service level today", "vi": "Mức phục vụ hôm nay"},
    "qs_sl_15": {"en": "Service level, last 15 min", "vi": "Mức phục vụ 15 phút qua"},
    "qs_abandoned_today": {"en": "Abandoned today", "vi": "Bỏ máy hôm nay"},
    "qs_asa_today": {"en": "Average speed of answer today", "vi": "Thời gian trả lời trung bình hôm nay"},
    "qs_agents_by_state": {"en": "Agents serving the queue", "vi": "Nhân viên phục vụ hàng đợi"},
    "qs_est_wait": {"en": "Estimated wait", "vi": "Thời gian chờ ước tính"},
    "qs_est_error": {"en": "Its measured error (mean / p90)", "vi": "Sai số đo được (trung bình / p90)"},
    "qs_est_error_callers": {"en": "over {n} answered callers", "vi": "trên {n} người gọi được trả lời"},
    "qs_no_agent_serving": {"en": "no agent", "vi": "không có nhân viên"},
    "qs_abandoned": {"en": "Abandoned", "vi": "Bỏ máy"},
    "qs_est_error_mae": {"en": "Wait est. error (s)", "vi": "Sai số chờ ước tính (giây)"},
    "qs_est_error_p90": {"en": "its p90 (s)", "vi": "p90 (giây)"},
    "qs_est_error_note": {
        "en": "Estimated-wait error: for the answered callers of the interval, the wait the engine estimated as "
              "each joined the queue against the wait it then had (mean absolute error and 90th percentile).",
        "vi": "Sai số thời gian chờ ước tính: với người gọi được trả lời trong khoảng, thời gian chờ bộ quay số "
              "ước tính khi họ vào hàng đợi so với thời gian họ thực sự chờ (sai số tuyệt đối trung bình và "
              "phân vị 90)."},
    "qs_dash_note": {"en": "— : not known (the engine is not running or does not give it)",
                     "vi": "— : chưa biết (bộ quay số không chạy hoặc không cung cấp)"},
    "qs_interval_report": {"en": "Per-interval report", "vi": "Báo cáo theo khoảng 15 phút"},
    "qs_staffing": {"en": "Staffing", "vi": "Định biên nhân sự"},
    "qs_report_title": {"en": "Queue {name}: every 15 minutes", "vi": "Hàng đợi {name}: theo từng 15 phút"},
    "qs_staffing_title": {"en": "Staffing of queue {name}", "vi": "Định biên nhân sự hàng đợi {name}"},
    "qs_interval": {"en": "Interval", "vi": "Khoảng thời gian"},
    "qs_day": {"en": "Day", "vi": "Ngày"},
    "qs_offered": {"en": "Offered", "vi": "Cuộc gọi đến"},
    "qs_answered": {"en": "Answered", "vi": "Đã trả lời"},
    "qs_answered_within": {"en": "Answered within T", "vi": "Trả lời trong T"},
    "qs_abandoned_short": {"en": "Abandoned within T", "vi": "Bỏ máy trong T"},
    "qs_abandoned_late": {"en": "Abandoned after T", "vi": "Bỏ máy sau T"},
    "qs_sl": {"en": "Service level", "vi": "Mức phục vụ"},
    "qs_asa": {"en": "ASA (s)", "vi": "Thời gian trả lời TB (giây)"},
    "qs_aht": {"en": "AHT (s)", "vi": "Thời gian xử lý TB (giây)"},
    "qs_longest": {"en": "Longest wait (s)", "vi": "Chờ lâu nhất (giây)"},
    "qs_sl_rule": {"en": "Service level = answered within T / (answered + abandoned after T); callers who "
                         "leave within T are not counted.",
                   "vi": "Mức phục vụ = số cuộc trả lời trong T / (số cuộc trả lời + số cuộc bỏ máy sau T); "
                         "người gọi rời đi trong T không được tính."},
    "qs_no_calls": {"en": "No inbound call in this period.", "vi": "Không có cuộc gọi đến trong khoảng này."},
    "qs_history_days": {"en": "History (days)", "vi": "Lịch sử (ngày)"},
    "qs_ahead_days": {"en": "Forecast (days)", "vi": "Dự báo (ngày)"},
    "qs_forecast": {"en": "Forecast from the same weekday", "vi": "Dự báo theo cùng thứ trong tuần"},
    "qs_forecast_none": {"en": "No forecast: no history of these weekdays yet.",
                         "vi": "Chưa có dự báo: chưa có lịch sử của các thứ này."},
    "qs_measured": {"en": "Measured", "vi": "Đo được"},
    "qs_offered_fc": {"en": "Offered (forecast)", "vi": "Cuộc gọi đến (dự báo)"},
    "qs_need_c": {"en": "Agents needed (Erlang C)", "vi": "Số nhân viên cần (Erlang C)"},
    "qs_need_a": {"en": "Agents needed (Erlang A)", "vi": "Số nhân viên cần (Erlang A)"},
    "qs_logged_in": {"en": "Agents logged in", "vi": "Nhân viên đăng nhập"},
    "qs_logged_in_paused": {"en": "Of them paused", "vi": "Trong đó tạm nghỉ"},
    "qs_logged_in_note": {
        "en": "Agents logged in: the average number of agents serving this queue who were signed in over the "
              "interval (agent-hours / 0.25 h), from the sign-in history (agent_history); paused time is "
              "included and also shown on its own. — : before that history was kept.",
        "vi": "Nhân viên đăng nhập: số nhân viên phục vụ hàng đợi này đăng nhập trung bình trong khoảng "
              "(giờ-người / 0,25 giờ), theo lịch sử đăng nhập (agent_history); thời gian tạm nghỉ được tính "
              "và cũng hiển thị riêng. — : trước khi lịch sử này được lưu."},
    "qs_outbound_freed": {"en": "Outbound by these agents (agents)", "vi": "Gọi ra của các nhân viên này (người)"},
    "qs_outbound_note": {
        "en": "Outbound capacity blending freed: the talk and wrap-up time of outbound calls taken by the agents "
              "serving this queue, in agents over the interval (seconds / 900), by the interval the call connected.",
        "vi": "Năng lực gọi ra nhờ kết hợp: thời gian nói chuyện và hoàn tất của các cuộc gọi ra do nhân viên "
              "phục vụ hàng đợi này nhận, tính bằng số nhân viên trong khoảng (giây / 900), theo khoảng cuộc "
              "gọi được kết nối."},
    "qs_patience": {"en": "Measured patience", "vi": "Độ kiên nhẫn đo được"},
    "qs_patience_value": {"en": "{s} s (mean, from {n} abandoned callers)",
                          "vi": "{s} giây (trung bình, từ {n} người gọi bỏ máy)"},
    "qs_patience_none": {"en": "not measured yet (no caller abandoned): Erlang A is not computed",
                         "vi": "chưa đo được (chưa ai bỏ máy): không tính Erlang A"},
    "qs_aht_overall": {"en": "Average handle time", "vi": "Thời gian xử lý trung bình"},
    "qs_plot_need": {"en": "Agents needed per interval (Erlang C and Erlang A), {day}",
                     "vi": "Số nhân viên cần theo khoảng (Erlang C và Erlang A), {day}"},
    "qs_plot_need_logged": {"en": "Agents needed and agents logged in, per interval",
                            "vi": "Số nhân viên cần và số nhân viên đăng nhập, theo khoảng"},
    "qs_plot_offered": {"en": "Offered calls per interval", "vi": "Cuộc gọi đến theo khoảng"},
    "qs_target_cap": {"en": "A target of 100 % is planned as 99.9 %.",
                      "vi": "Mục tiêu 100 % được tính là 99,9 %."},
    "qs_signed_out": {"en": "signed out", "vi": "đã đăng xuất"},
}
