"""Texts of several sites (``dialer.sites``): the role of manager, the site filter, the wallboard's site status,
the pause of a site's campaigns while its PBX is down, the admin's sites. English and Vietnamese (merged into
``admin_ui.i18n.MESSAGES``)."""

from __future__ import annotations

SITE_MESSAGES: dict[str, dict[str, str]] = {
    "role_manager": {"en": "Manager (every site)", "vi": "Quản lý (mọi chi nhánh)"},
    "site": {"en": "Site", "vi": "Chi nhánh"},
    "sites": {"en": "Sites", "vi": "Chi nhánh"},
    "site_all": {"en": "All sites", "vi": "Tất cả chi nhánh"},
    "site_filter": {"en": "Show", "vi": "Hiển thị"},
    "site_every": {"en": "every site", "vi": "mọi chi nhánh"},
    "site_zone": {"en": "Time zone", "vi": "Múi giờ"},
    "site_status": {"en": "Status", "vi": "Trạng thái"},
    "site_engines": {"en": "Engines", "vi": "Tiến trình quay số"},
    "site_st_up": {"en": "up", "vi": "hoạt động"},
    "site_st_down": {"en": "DOWN: its PBX cannot be reached", "vi": "NGỪNG: không kết nối được tổng đài"},
    "site_st_silent": {"en": "DOWN: its engines stopped reporting ({detail} ago)",
                       "vi": "NGỪNG: tiến trình quay số không còn báo cáo (cách đây {detail})"},
    "site_st_unknown": {"en": "no engine has reported yet", "vi": "chưa có tiến trình quay số nào báo cáo"},
    "site_down_banner": {
        "en": "Site {name} is down: its campaigns are paused until its PBX is back. Other sites keep dialling.",
        "vi": "Chi nhánh {name} đang ngừng: các chiến dịch của chi nhánh tạm dừng cho đến khi tổng đài hoạt động "
              "trở lại. Các chi nhánh khác vẫn tiếp tục quay số."},
    "site_paused_campaigns": {"en": "Paused while the site is down: {names}",
                              "vi": "Tạm dừng trong lúc chi nhánh ngừng: {names}"},
    "health_site_down": {
        "en": "Paused by the dialer: the PBX of site {detail} cannot be reached. The campaign starts again by "
              "itself when it is back; other sites keep dialling.",
        "vi": "Hệ thống đã tạm dừng: không kết nối được tổng đài của chi nhánh {detail}. Chiến dịch sẽ tự chạy "
              "lại khi tổng đài hoạt động trở lại; các chi nhánh khác vẫn tiếp tục quay số."},
    "site_create": {"en": "Add a site", "vi": "Thêm chi nhánh"},
    "site_created": {"en": "The site was added.", "vi": "Đã thêm chi nhánh."},
    "site_name_hint": {"en": "letters, digits, '.', '_', '-' (the engine's DIALER_SITE)",
                       "vi": "chữ, số, '.', '_', '-' (giá trị DIALER_SITE của tiến trình quay số)"},
    "site_of_user_hint": {"en": "agents and team leads work at one site; managers and admins see all",
                          "vi": "nhân viên và trưởng nhóm làm việc tại một chi nhánh; quản lý và quản trị viên "
                                "xem mọi chi nhánh"},
    "cap_sites": {"en": "Sites: their status, add one, who works where", "vi": "Chi nhánh: trạng thái, thêm chi nhánh, "
                  "ai làm việc ở đâu"},
    "site_users": {"en": "Who works where", "vi": "Ai làm việc ở đâu"},
    "site_user_saved": {"en": "The user's site was saved.", "vi": "Đã lưu chi nhánh của người dùng."},
    "site_save": {"en": "Save", "vi": "Lưu"},
    "site_move": {"en": "Move to site", "vi": "Chuyển sang chi nhánh"},
    "site_moved": {"en": "Moved to the site.", "vi": "Đã chuyển sang chi nhánh."},
    "site_other": {"en": "This belongs to another site.", "vi": "Mục này thuộc chi nhánh khác."},
}
